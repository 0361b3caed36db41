--[[
settle-login: ends one login's reservation (reserve-login.lua) by its outcome.
A failure is counted against all three limits and the pair's history; a
success clears this address's failures for the account (contract rule 6) and
trusts the address for the account; an abandoned attempt (a store failed
before the password was checked) is only released.

KEYS[1..8] as in reserve-login.lua
ARGV[1] reservation id
ARGV[2] 'failed' | 'succeeded' | 'abandoned'
ARGV[3] pair window (s)   ARGV[4] address window (s)   ARGV[5] account window (s)
ARGV[6] trusted period (s)

Reply: 1 when the reservation was still held, else 0 (it had expired).
]]
local held = 0
for _, key in ipairs({KEYS[2], KEYS[4], KEYS[6]}) do
  held = redis.call('ZREM', key, ARGV[1])
end

local function countFailure(key, windowSeconds)
  redis.call('INCR', key)
  redis.call('EXPIRE', key, windowSeconds, 'NX')
end

if ARGV[2] == 'failed' then
  countFailure(KEYS[1], ARGV[3])
  countFailure(KEYS[3], ARGV[4])
  countFailure(KEYS[5], ARGV[5])
  countFailure(KEYS[7], ARGV[5])
elseif ARGV[2] == 'succeeded' then
  redis.call('DEL', KEYS[1], KEYS[7])
  redis.call('SET', KEYS[8], '1', 'EX', ARGV[6])
end
return held
