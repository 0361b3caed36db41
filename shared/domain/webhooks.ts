import ipaddr from 'ipaddr.js';

/**
 * Webhook rules (admin contract, "Webhooks"), pure: the event types, when a
 * failed delivery is tried again, and which addresses a delivery may reach.
 */
export const WEBHOOK_EVENT_TYPES = [
  'binding.created',
  'binding.released',
  'registration.failed',
  'account.seats_exhausted',
  'account.expiring',
  'account.changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Why a binding went: its node unbound it, staff released it, or it fell silent (releaseAfterSilentSeconds). */
export type ReleaseReason = 'unbound' | 'released' | 'silent';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A receiver's Retry-After is honoured up to this (contract: at most 24 h). */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
const JITTER = 0.2;

/**
 * When the attempt after `attempts` failed ones is due, in seconds from now;
 * null when every delay is spent (N delays make N + 1 attempts) and the
 * delivery is a dead letter. The delay gets up to ±20 % jitter (`random` in
 * [0, 1)), and the receiver's Retry-After wins when it is longer. An attempt
 * staff asked for is one more, whatever the status and the attempts before
 * it: when it fails the delivery is failed again, never rescheduled.
 */
export function retryDelaySeconds(input: {
  delays: readonly number[];
  attempts: number;
  retryAfterSeconds: number | null;
  random: number;
  isRetryRequested: boolean;
}): number | null {
  if (input.isRetryRequested) return null;
  const delay = input.delays[input.attempts - 1];
  if (delay === undefined) return null;
  const jittered = delay * (1 - JITTER + 2 * JITTER * input.random);
  const asked = input.retryAfterSeconds === null ? 0 : Math.min(input.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
  return Math.max(jittered, asked);
}

/**
 * `Retry-After` as seconds from `nowMs`: delta-seconds or an HTTP date; null
 * when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | null {
  if (header === undefined) return null;
  const text = header.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, (at - nowMs) / 1000);
}

/**
 * Whether a delivery may connect to this address: only public unicast.
 * Loopback, private, link-local, unique-local, unspecified, multicast,
 * carrier-grade NAT, broadcast, documentation and every other special range
 * are refused; an IPv4-mapped IPv6 address is judged as the IPv4 it carries.
 */
export function isPublicAddress(text: string): boolean {
  if (!ipaddr.isValid(text)) return false;
  return ipaddr.process(text).range() === 'unicast';
}
