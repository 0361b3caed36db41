--[[
settle-login: ends one login's reservation (reserve-login.lua) in the
account's slot by its outcome; settle-login-address.lua does the same for
the address-wide limit. A failure is counted against the pair and the
account-wide limit and the pair's history; a success clears this address's
failures for the account (contract rule 6) and trusts the address for the
account; an abandoned attempt (a store failed before the password was
checked, or the address-wide limit refused it) is only released.

KEYS[1..6] as in reserve-login.lua
ARGV[1] reservation id
ARGV[2] 'failed' | 'succeeded' | 'abandoned'
ARGV[3] pair window (s)   ARGV[4] account window (s)
ARGV[5] trusted period (s)

Reply: 1 when the reservation was still held, else 0 (it had expired).
]]
local held = 0
for _, key in ipairs({KEYS[2], KEYS[4]}) do
  held = redis.call('ZREM', key, ARGV[1])
end

local function countFailure(key, windowSeconds)
  redis.call('INCR', key)
  redis.call('EXPIRE', key, windowSeconds, 'NX')
end

if ARGV[2] == 'failed' then
  countFailure(KEYS[1], ARGV[3])
  countFailure(KEYS[3], ARGV[4])
  countFailure(KEYS[5], ARGV[4])
elseif ARGV[2] == 'succeeded' then
  redis.call('DEL', KEYS[1], KEYS[5])
  redis.call('SET', KEYS[6], '1', 'EX', ARGV[5])
end
return held
