--[[
reserve-login: contract rule 6 checked and counted before the password is,
in one step per slot, so a burst of parallel guesses cannot all pass the
check before any of them is counted. This script holds everything about the
account (one hash tag, one slot): the pair of this address and account, the
account-wide limit, the pair's history and whether the address is trusted.
The address-wide limit, shared by every account the address tries, lives in
another slot and is checked by reserve-login-address.lua right after this one
(login-steps.ts), which releases this reservation when the address refuses.

An attempt that passes holds a reservation in the in-flight sets of its
limits until settle-login.lua turns it into a failure or releases it; a
reservation whose process died expires by itself after `reservationTtl`.

A limit is reached by failures alone (THROTTLED: wait for the window) or only
with attempts still in flight counted (BUSY: ask again shortly; they may yet
succeed). So at most `limit` attempts are ever past the check at once, and a
burst of right passwords from one address waits rather than failing.

An address that logged in to the account before (trusted) is held only to
its own limit for the account. When the account-wide limit is reached, an
address that has failed fewer than `newcomerLimit` times for this account in
the account window still gets that many attempts: the real customer on a new
address is not locked out by failures spread over other addresses.

KEYS[1] pair failures      counter: this address for this account
KEYS[2] pair in flight     zset reservation id -> expiry (unix ms)
KEYS[3] account failures   counter: this account from any address
KEYS[4] account in flight  zset
KEYS[5] pair history       counter: this address for this account over the account window
KEYS[6] trusted            string, present while the address is trusted for the account
ARGV[1] now (unix ms)      ARGV[2] reservation id    ARGV[3] reservationTtl (ms)
ARGV[4] pair limit         ARGV[5] account limit     ARGV[6] newcomer limit

Replies (trusted: 1 when the address is trusted for the account, else 0)
  {'RESERVED', trusted}               counted in flight under ARGV[2]
  {'BUSY', trusted}                   a limit is reached only by attempts in flight; nothing written
  {'THROTTLED', seconds}              the pair's failures reached its limit; nothing written
  {'ACCOUNT_THROTTLED', seconds}      the account-wide failures reached it (untrusted address); nothing written
]]
local now = tonumber(ARGV[1])

local function failures(key)
  return tonumber(redis.call('GET', key) or '0')
end

local function inFlight(key)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key)
end

local function secondsLeft(key)
  return math.max(redis.call('TTL', key), 1)
end

local pairFailed = failures(KEYS[1])
local pairPending = inFlight(KEYS[2])
if pairFailed >= tonumber(ARGV[4]) then
  return {'THROTTLED', secondsLeft(KEYS[1])}
end
local isBusy = pairFailed + pairPending >= tonumber(ARGV[4])

local trusted = redis.call('EXISTS', KEYS[6])
if trusted == 0 then
  local accountFailed = failures(KEYS[3])
  if accountFailed >= tonumber(ARGV[5]) then
    local history = failures(KEYS[5])
    if history >= tonumber(ARGV[6]) then
      return {'ACCOUNT_THROTTLED', math.min(secondsLeft(KEYS[3]), secondsLeft(KEYS[5]))}
    end
    isBusy = isBusy or history + pairPending >= tonumber(ARGV[6])
  else
    isBusy = isBusy or accountFailed + inFlight(KEYS[4]) >= tonumber(ARGV[5])
  end
end

if isBusy then
  return {'BUSY', trusted}
end
local expiry = now + tonumber(ARGV[3])
for _, key in ipairs({KEYS[2], KEYS[4]}) do
  redis.call('ZADD', key, expiry, ARGV[2])
  redis.call('PEXPIREAT', key, expiry)
end
return {'RESERVED', trusted}
