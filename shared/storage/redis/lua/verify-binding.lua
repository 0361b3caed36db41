--[[
verify-binding: the heartbeat's single round trip. Checks that the machine is
bound under this nonce and returns the certificate state. Last-seen is
recorded at most once per `interval` seconds per binding, so most heartbeats
write nothing, and the caller persists exactly the heartbeats that did. The
lease handed out last comes back too, so re-using it costs no second trip.

KEYS[1] state     hash {status, expiresAt, revision, lastSeenEvery}, and per machine
                  'lease:'..machineCode -> lease record (redis/lease-record.ts),
                  'gone:'..machineCode -> nonce of a binding MySQL confirmed gone
KEYS[2] bindings  hash machineCode -> record: nonce, lastSeen (unix seconds), as
                  packed by includes/binding-record.lua
ARGV[1] machineCode   ARGV[2] nonce   ARGV[3] now (unix seconds)
ARGV[4] interval (seconds): how stale last-seen may get before it is rewritten,
        unless the account's lastSeenEvery is shorter (silent-seat release)

Replies
  {'NOT_LOADED'}                                  load from MySQL first
  {'NOT_BOUND'}                                   no binding under this nonce
  {'GONE'}                                        no binding, and MySQL said so
                                                  already: no need to ask it
  {'BOUND', status, expiresAt, isRecorded, lease} isRecorded is 1 when last-seen
                                                  was rewritten to ARGV[3], else 0;
                                                  lease is '' when none is kept
]]
--@include binding-record

local state = redis.call('HMGET', KEYS[1], 'status', 'expiresAt', 'lastSeenEvery')
if not state[1] then
  return {'NOT_LOADED'}
end
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record or recordNonce(record) ~= ARGV[2] then
  if redis.call('HGET', KEYS[1], 'gone:' .. ARGV[1]) == ARGV[2] then
    return {'GONE'}
  end
  return {'NOT_BOUND'}
end
local interval = tonumber(ARGV[4])
local every = tonumber(state[3] or '0') or 0
if every > 0 and every < interval then
  interval = every
end
local isRecorded = 0
if tonumber(ARGV[3]) - recordSeconds(record) >= interval then
  redis.call('HSET', KEYS[2], ARGV[1], newRecord(ARGV[2], ARGV[3]))
  isRecorded = 1
end
return {'BOUND', state[1], state[2], isRecorded, redis.call('HGET', KEYS[1], 'lease:' .. ARGV[1]) or ''}
