--[[
keep-leases: stores the leases just handed out, so any process re-uses them
while they are less than half used up. Only for bindings Redis holds under
the same nonce: a lease never outlives its binding's keys, and one signed for
a binding released meanwhile is dropped. Leases are fields of the state
hash, so they go with it (any staff change, unbinding or reload), and the
heartbeat's script reads them without touching a key that may not exist
(which, on Redis Cluster during a resharding, would answer TRYAGAIN).

KEYS[1] state     hash {status, expiresAt, revision, ...}; 'lease:'..machineCode
                  -> lease record (redis/lease-record.ts)
KEYS[2] bindings  hash machineCode -> record: nonce, lastSeen (unix seconds), as
                  packed by includes/binding-record.lua
ARGV[1], ARGV[2], ARGV[3], ... machineCode, nonce, lease record triples

Reply: the number of leases kept.
]]
--@include binding-record

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local kept = 0
for i = 1, #ARGV, 3 do
  local record = redis.call('HGET', KEYS[2], ARGV[i])
  if record and recordNonce(record) == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], 'lease:' .. ARGV[i], ARGV[i + 2])
    kept = kept + 1
  end
end
return kept
