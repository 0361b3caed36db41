--[[
undo-bind-nodes: releases the seats one registration reserved, when MySQL did
not take them. A reservation is removed only if it still holds that
registration's nonce, so one another request made in the meantime survives.

KEYS[1] pending  hash machineCode -> record: nonce, since (unix seconds), as
                 packed by includes/binding-record.lua
ARGV[1], ARGV[2], ... machineCode, nonce pairs

Reply: the number of reservations removed.
]]
--@include binding-record

local removed = 0
for i = 1, #ARGV, 2 do
  local reservation = redis.call('HGET', KEYS[1], ARGV[i])
  if reservation and recordNonce(reservation) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
