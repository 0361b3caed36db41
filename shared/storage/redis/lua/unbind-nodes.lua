--[[
unbind-nodes: removes bindings MySQL is about to delete. Runs before the MySQL
commit, so a Redis that cannot take it leaves both stores as they were; the
caller then drops the account's loaded state once MySQL has committed (see
invalidate-account.lua), which also fences out refills read before the delete.

KEYS[1] bindings  hash machineCode -> nonce .. lastSeen
ARGV[1], ARGV[2], ... machine codes

Reply: the number of fields removed (machines Redis did not hold count 0).
]]
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
end
return removed
