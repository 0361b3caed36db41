--[[
settle-login-address: ends one login's reservation in the address-wide
limit (reserve-login-address.lua) by its outcome: a failure is counted
against the address; a success or an abandoned attempt is only released
(a success clears the failures of the pair, in the account's slot, never the
address's).

KEYS[1..2] as in reserve-login-address.lua
ARGV[1] reservation id
ARGV[2] 'failed' | 'succeeded' | 'abandoned'
ARGV[3] address window (s)

Reply: 1 when the reservation was still held, else 0 (it had expired or was never taken).
]]
local held = redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == 'failed' then
  redis.call('INCR', KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX')
end
return held
