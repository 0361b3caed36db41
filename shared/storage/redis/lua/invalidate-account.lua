--[[
invalidate-account: forgets an account's loaded state so the next request
reloads it from MySQL; used after staff changes, after unbinding, and whenever
the outcome of a write is unknown. Bindings and reservations go too: without
the state nothing reads them, and a failed request must leave no trace behind. Raising
the floor keeps a refill read before the change from installing the old state.

KEYS[1] state     hash {status, expiresAt, revision}
KEYS[2] bindings  hash machineCode -> nonce .. lastSeen
KEYS[3] pending   hash machineCode -> nonce .. since
KEYS[4] floor     string: the lowest revision a copy may have to be loaded
ARGV[1] the revision the change produced (integer; 0 when unknown)

Reply: the number of keys dropped (0 when nothing was loaded).
]]
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[4]) or '0') then
  redis.call('SET', KEYS[4], ARGV[1])
end
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
