--[[
reserve-login-address: the address-wide limit of contract rule 6 (failures
of one address for any account), in its own slot. Run by login-steps.ts after
reserve-login.lua has answered for the account, with what that answer
leaves to decide:

  'reserve'  the account reserved and the address is not trusted: check the
             address-wide limit and count the attempt in flight if it passes
  'exempt'   the account reserved and the address is trusted for it: the
             wide limit does not apply, but the attempt is counted in flight
             (other accounts tried from this address still see it)
  'check'    the account refused or is busy: only whether the address's
             failures reached the limit (that takes precedence); nothing written

KEYS[1] address failures   counter: this address for any account
KEYS[2] address in flight  zset reservation id -> expiry (unix ms)
ARGV[1] now (unix ms)      ARGV[2] reservation id    ARGV[3] reservationTtl (ms)
ARGV[4] address limit      ARGV[5] 'reserve' | 'exempt' | 'check'

Replies
  {'RESERVED'}               counted in flight under ARGV[2] ('reserve', 'exempt')
  {'CLEAR'}                  failures are under the limit ('check'); nothing written
  {'BUSY'}                   the limit is reached only by attempts in flight ('reserve'); nothing written
  {'THROTTLED', seconds}     failures reached the limit ('reserve', 'check'); nothing written
]]
local now = tonumber(ARGV[1])
local mode = ARGV[5]

if mode ~= 'exempt' then
  local failed = tonumber(redis.call('GET', KEYS[1]) or '0')
  if failed >= tonumber(ARGV[4]) then
    return {'THROTTLED', math.max(redis.call('TTL', KEYS[1]), 1)}
  end
  if mode == 'check' then
    return {'CLEAR'}
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if failed + redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    return {'BUSY'}
  end
end

local expiry = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], expiry, ARGV[2])
redis.call('PEXPIREAT', KEYS[2], expiry)
return {'RESERVED'}
