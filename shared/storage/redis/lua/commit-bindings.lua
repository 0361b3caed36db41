--[[
commit-bindings: turns the reservations of one registration into bindings once
MySQL has committed them. Only reservations still holding that registration's
nonce move. While the account is not loaded the bindings are left to the next
load from MySQL, which already has them. A machine bound anew is no longer
remembered as gone.

KEYS[1] state     hash {status, expiresAt, revision, ...}; 'gone:'..machineCode
                  notes a binding MySQL confirmed gone
KEYS[2] bindings  hash machineCode -> record: nonce, lastSeen (unix seconds)
KEYS[3] pending   hash machineCode -> record: nonce, since (unix seconds)
                  (records as packed by includes/binding-record.lua)
ARGV[1], ARGV[2], ... machineCode, nonce pairs

Reply: the number of reservations committed.
]]
--@include binding-record

local isLoaded = redis.call('EXISTS', KEYS[1]) == 1
local committed = 0
for i = 1, #ARGV, 2 do
  local reservation = redis.call('HGET', KEYS[3], ARGV[i])
  if reservation and recordNonce(reservation) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[3], ARGV[i])
    redis.call('HDEL', KEYS[1], 'gone:' .. ARGV[i])
    if isLoaded then
      redis.call('HSET', KEYS[2], ARGV[i], newRecord(ARGV[i + 1], '0'))
    end
    committed = committed + 1
  end
end
return committed
