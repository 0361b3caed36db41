/**
 * The one catalogue of cause codes the contract fixes. Codes are closed and
 * append-only: never renamed, never reused. The order of each table is the
 * order in which causes are listed when several apply.
 */
export const OVERALL_CAUSES = {
  INCORRECT_DATA_FORMAT: { message: 'Incorrect Data Format', status: 400 },
  INCORRECT_PARAMETER: { message: 'Incorrect Parameter', status: 400 },
  UNAUTHORIZED_ACCOUNT: { message: 'Unauthorized Account and Password', status: 401 },
  VERSION_MISMATCH: { message: 'Version Mismatch', status: 403 },
  ABNORMAL_ACCOUNT_STATUS: { message: 'Abnormal Account Status', status: 403 },
  EXPIRED_CERTIFICATE: { message: 'Expired Certificate', status: 403 },
} as const;

export const NODE_CAUSES = {
  REDIS_INSERT_FAILED: { message: 'Error occurs when you insert data into the REDIS database.', isStoreFailure: true },
  IP_NOT_ALLOWED: { message: 'The IP address is not within the allowed range.', isStoreFailure: false },
  DOMAIN_NOT_ALLOWED: { message: 'The domain name is not within the allowed range.', isStoreFailure: false },
  APP_NAME_NOT_ALLOWED: { message: 'The app name is not within the allowed range.', isStoreFailure: false },
  MYSQL_UPDATE_FAILED: { message: 'Error occurs when you update MySQL database.', isStoreFailure: true },
  MAX_AUTHORIZATIONS_REACHED: { message: 'The maximum number of authorizations has been reached.', isStoreFailure: false },
  NOT_BOUND: { message: 'This machine is not authorized and does not need to be unbound.', isStoreFailure: false },
} as const;

/** Every error the contract does not name is answered with this one cause (display rule 5). */
export const FALLBACK_CAUSE = {
  code: 'LICENSE_FILE_FORMAT_INCORRECT',
  message: 'License file format is incorrect.',
} as const;

export type OverallCode = keyof typeof OVERALL_CAUSES;
export type NodeCode = keyof typeof NODE_CAUSES;

export interface OverallCause {
  code: OverallCode;
  details?: Readonly<Record<string, string>>;
}

const NODE_ORDER = Object.keys(NODE_CAUSES) as NodeCode[];

/** Node causes sorted into table order, without repeats (display rule 1 lists them all). */
export function sortNodeCodes(codes: Iterable<NodeCode>): NodeCode[] {
  const present = new Set(codes);
  return NODE_ORDER.filter((code) => present.has(code));
}

const OVERALL_ORDER = Object.keys(OVERALL_CAUSES) as OverallCode[];

export function sortOverallCauses(causes: readonly OverallCause[]): OverallCause[] {
  return [...causes].sort((a, b) => OVERALL_ORDER.indexOf(a.code) - OVERALL_ORDER.indexOf(b.code));
}
