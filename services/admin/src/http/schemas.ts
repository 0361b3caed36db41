import { z } from 'zod';
import { ACCOUNT_STATUSES } from '#shared/domain/account';
import { STAFF_ROLES } from '#shared/domain/staff';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '#shared/domain/webhooks';
import { pageQuery } from './request-input';
import { ADMIN_ERRORS } from './admin-errors';

/**
 * Every shape of the staff API, in one place: the routes validate requests
 * with these schemas, the views are typed by the response ones, and
 * openapi.ts describes both from them, so the document cannot drift from
 * what is checked.
 */
const nullableCount = z.number().int().nullable();
const accountFields = {
  status: z.enum(ACCOUNT_STATUSES),
  version: z.string(),
  expiresAt: z.string(),
  maxRegistrations: z.number(),
  allowedIps: z.array(z.string()),
  allowedDomains: z.array(z.string()),
  allowedAppNames: z.array(z.string()),
  maxUnbindsPerDay: nullableCount,
  releaseAfterSilentSeconds: nullableCount,
};

const webhookEventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);

export const requests = {
  credentials: z.strictObject({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) }),
  accountChange: z.strictObject(accountFields).partial(),
  newAccount: z.strictObject({ ...accountFields, name: z.string(), password: z.string() }).partial({
    status: true,
    allowedIps: true,
    allowedDomains: true,
    allowedAppNames: true,
    maxUnbindsPerDay: true,
    releaseAfterSilentSeconds: true,
  }),
  newPassword: z.strictObject({ password: z.string() }),
  /** Machine codes as the node contract and the ledger allow them; each once. */
  release: z.strictObject({
    machineCodes: z
      .array(z.string().min(1).max(255))
      .min(1)
      .max(500)
      .refine((codes) => new Set(codes).size === codes.length, 'each machine code once'),
  }),
  newStaff: z.strictObject({ email: z.string(), role: z.enum(STAFF_ROLES), password: z.string() }),
  staffChange: z.strictObject({ role: z.enum(STAFF_ROLES), disabled: z.boolean() }).partial(),
  newToken: z.strictObject({ name: z.string().min(1).max(128), role: z.enum(STAFF_ROLES) }),
  newWebhook: z.strictObject({ url: z.string().min(1).max(2048), events: webhookEventTypes }),
  webhookChange: z.strictObject({ events: webhookEventTypes, disabled: z.boolean() }).partial(),
};

export const queries = {
  accounts: z.strictObject({
    query: z.string().max(128).optional(),
    status: z.enum(ACCOUNT_STATUSES).optional(),
    expiringWithinDays: z.coerce.number().int().min(0).max(36_500).optional(),
    ...pageQuery,
  }),
  audit: z.strictObject({
    account: z.string().max(128).optional(),
    actor: z.string().max(128).optional(),
    action: z.string().max(64).optional(),
    since: z.string().optional(),
    until: z.string().optional(),
    ...pageQuery,
  }),
  page: z.strictObject(pageQuery),
  deliveries: z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), ...pageQuery }),
};

const time = z.string();
const nullableTime = z.string().nullable();

export const responses = {
  account: z.object({
    name: z.string(),
    ...accountFields,
    used: z.number().int(),
    revision: z.number().int(),
    createdAt: time,
    updatedAt: time,
  }),
  binding: z.object({
    machineCode: z.string(),
    nodeId: z.string(),
    ip: z.string(),
    domain: z.string().nullable(),
    appName: z.string(),
    mac: z.string().nullable(),
    appVersion: z.string(),
    boundAt: time,
    lastSeenAt: nullableTime,
  }),
  staff: z.object({ email: z.string(), role: z.enum(STAFF_ROLES), disabled: z.boolean(), createdAt: time, lastLoginAt: nullableTime }),
  token: z.object({
    id: z.string(),
    name: z.string(),
    role: z.enum(STAFF_ROLES),
    createdBy: z.string(),
    createdAt: time,
    lastUsedAt: nullableTime,
  }),
  released: z.object({ released: z.array(z.string()), notBound: z.array(z.string()) }),
  tokenCreated: z.object({ id: z.string(), name: z.string(), role: z.enum(STAFF_ROLES), token: z.string() }),
  auditEntry: z.object({
    id: z.string(),
    at: time,
    actor: z.string(),
    action: z.string(),
    account: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    sourceAddress: z.string().nullable(),
    requestId: z.string().nullable(),
  }),
  attempt: z.object({
    at: time,
    kind: z.enum(['registration', 'unbinding']),
    result: z.enum(['success', 'failure']),
    status: z.number().int(),
    overall: z.array(z.string()),
    nodes: z.array(z.object({ nodeId: z.string(), machineCode: z.string(), causes: z.array(z.string()) })),
    sourceAddress: z.string(),
    requestId: z.string(),
  }),
  webhook: z.object({ id: z.string(), url: z.string(), events: z.array(z.enum(WEBHOOK_EVENT_TYPES)), disabled: z.boolean() }),
  webhookCreated: z.object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    disabled: z.boolean(),
    secret: z.string(),
  }),
  delivery: z.object({
    eventId: z.string(),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    nextAttemptAt: nullableTime,
    createdAt: time,
  }),
  session: z.object({ staff: z.object({ email: z.string(), role: z.enum(STAFF_ROLES) }), csrfToken: z.string() }),
  error: z.object({
    error: z.object({
      code: z.enum(Object.keys(ADMIN_ERRORS) as [keyof typeof ADMIN_ERRORS, ...Array<keyof typeof ADMIN_ERRORS>]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
  health: z.object({ status: z.literal('ok') }),
};

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export type AccountJson = z.infer<typeof responses.account>;
export type BindingJson = z.infer<typeof responses.binding>;
export type StaffJson = z.infer<typeof responses.staff>;
export type TokenJson = z.infer<typeof responses.token>;
export type AuditEntryJson = z.infer<typeof responses.auditEntry>;
export type WebhookJson = z.infer<typeof responses.webhook>;
export type DeliveryJson = z.infer<typeof responses.delivery>;
