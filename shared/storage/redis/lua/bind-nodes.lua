--[[
bind-nodes: the seat check and the insert of every node of one registration,
all or nothing, in one step.

KEYS[1] state     hash {status, expiresAt, revision}; exists only while the
                  account's bindings are loaded from MySQL
KEYS[2] bindings  hash machineCode -> nonce (16 chars) .. lastSeen (unix seconds)
ARGV[1] maxRegistrations (integer)
ARGV[2] '1' to write when every new machine fits; '0' only to count (the
        request already fails on a range cause)
ARGV[3], ARGV[4], ... machineCode, nonce: one pair per node in request order;
        the nonce is used only when the machine is not bound yet

Replies
  {'NOT_LOADED'}                      state is missing: load from MySQL first
  {'OVER', bound, p1, p2, ...}        the new machines at request positions
                                      p1.. (1-based) do not fit; nothing written
  {'FITS', bound}                     ARGV[2] was '0' and all would fit; nothing written
  {'BOUND', bound, n1, n2, ...}       written; n_i is the nonce bound to request
                                      position i (kept for machines already bound)
where bound is the number of machines bound before this call.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'NOT_LOADED'}
end

local codes = {}
for i = 3, #ARGV, 2 do
  codes[#codes + 1] = ARGV[i]
end

local current = redis.call('HMGET', KEYS[2], unpack(codes))
local bound = redis.call('HLEN', KEYS[2])
local fresh = {}
for i = 1, #codes do
  if not current[i] then
    fresh[#fresh + 1] = i
  end
end

-- Staff may have lowered the limit below what is bound: no seat is free then.
local free = math.max(tonumber(ARGV[1]) - bound, 0)
if #fresh > free then
  local reply = {'OVER', bound}
  for j = free + 1, #fresh do
    reply[#reply + 1] = fresh[j]
  end
  return reply
end

if ARGV[2] ~= '1' then
  return {'FITS', bound}
end

local reply = {'BOUND', bound}
local writes = {}
for i = 1, #codes do
  local nonce
  if current[i] then
    nonce = string.sub(current[i], 1, 16)
  else
    nonce = ARGV[2 + 2 * i]
    writes[#writes + 1] = codes[i]
    writes[#writes + 1] = nonce .. '0'
  end
  reply[#reply + 1] = nonce
end
if #writes > 0 then
  redis.call('HSET', KEYS[2], unpack(writes))
end
return reply
