--[[
undo-bind-nodes: removes the bindings one registration wrote, when MySQL did
not take them. A field is removed only if it still holds that registration's
nonce, so a binding some other request made in the meantime survives.

KEYS[1] bindings  hash machineCode -> nonce .. lastSeen
ARGV[1], ARGV[2], ... machineCode, nonce pairs

Reply: the number of bindings removed.
]]
local removed = 0
for i = 1, #ARGV, 2 do
  local record = redis.call('HGET', KEYS[1], ARGV[i])
  if record and string.sub(record, 1, 16) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
