--[[
load-account: installs an account's bindings and certificate state read from
MySQL (the ledger), unless they are already loaded or the copy is older than a
change Redis has been told about. Loading and marking loaded are one step, so
two requests refilling at once cannot interleave. Reservations of requests in
flight are kept: they still hold their seats.

KEYS[1] state     hash {status, expiresAt, revision, lastSeenEvery}; its presence
                  means "loaded"
KEYS[2] bindings  hash machineCode -> record: nonce, lastSeen (unix seconds)
KEYS[3] floor     string: the lowest revision a copy may have to be loaded
ARGV[1] revision of the MySQL copy (integer)
ARGV[2] status    ARGV[3] expiresAt (YYYY-MM-DD)
ARGV[4] lastSeenEvery (seconds; 0: the caller's own interval)
ARGV[5], ARGV[6], ... machineCode, record pairs, packed by the caller
        (shared/storage/redis/binding-record.ts) and installed as they are

Replies: 'LOADED'; 'ALREADY' (someone loaded first: use what is there);
'STALE' (the copy predates a known change: read MySQL again).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'ALREADY'
end
if tonumber(ARGV[1]) < tonumber(redis.call('GET', KEYS[3]) or '0') then
  return 'STALE'
end

redis.call('DEL', KEYS[2])
-- unpack is bounded by Lua's C stack: write in chunks of 500 pairs.
for i = 5, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'expiresAt', ARGV[3], 'revision', ARGV[1], 'lastSeenEvery', ARGV[4])
return 'LOADED'
