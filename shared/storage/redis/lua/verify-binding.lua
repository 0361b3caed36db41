--[[
verify-binding: the heartbeat's single round trip. Checks that the machine is
bound under this nonce, records last-seen, and returns the certificate state.

KEYS[1] state     hash {status, expiresAt, revision}
KEYS[2] bindings  hash machineCode -> nonce (16 chars) .. lastSeen (unix seconds)
ARGV[1] machineCode   ARGV[2] nonce   ARGV[3] now (unix seconds)

Replies
  {'NOT_LOADED'}                                     load from MySQL first
  {'NOT_BOUND'}                                      no binding under this nonce
  {'BOUND', status, expiresAt, previousLastSeen}     last-seen now ARGV[3]
]]
local state = redis.call('HMGET', KEYS[1], 'status', 'expiresAt')
if not state[1] then
  return {'NOT_LOADED'}
end
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record or string.sub(record, 1, 16) ~= ARGV[2] then
  return {'NOT_BOUND'}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ARGV[3])
return {'BOUND', state[1], state[2], string.sub(record, 17)}
