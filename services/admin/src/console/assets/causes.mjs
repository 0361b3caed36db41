/**
 * The node contract's cause codes and their exact messages
 * (registration-contract.md: overall causes, node causes, and the fallback
 * of display rule 5). An attempt records codes only; support reads the
 * message the node was shown. A test compares this table with
 * shared/domain/causes.ts, the catalogue the API answers from.
 */
export const CAUSE_MESSAGES = Object.freeze({
  INCORRECT_DATA_FORMAT: 'Incorrect Data Format',
  INCORRECT_PARAMETER: 'Incorrect Parameter',
  UNAUTHORIZED_ACCOUNT: 'Unauthorized Account and Password',
  VERSION_MISMATCH: 'Version Mismatch',
  ABNORMAL_ACCOUNT_STATUS: 'Abnormal Account Status',
  EXPIRED_CERTIFICATE: 'Expired Certificate',
  REDIS_INSERT_FAILED: 'Error occurs when you insert data into the REDIS database.',
  IP_NOT_ALLOWED: 'The IP address is not within the allowed range.',
  DOMAIN_NOT_ALLOWED: 'The domain name is not within the allowed range.',
  APP_NAME_NOT_ALLOWED: 'The app name is not within the allowed range.',
  MYSQL_UPDATE_FAILED: 'Error occurs when you update MySQL database.',
  MAX_AUTHORIZATIONS_REACHED: 'The maximum number of authorizations has been reached.',
  NOT_BOUND: 'This machine is not authorized and does not need to be unbound.',
  LICENSE_FILE_FORMAT_INCORRECT: 'License file format is incorrect.',
});

/** The message of a code, or null for a code this console does not know (a newer server's). */
export function causeMessage(code) {
  return Object.hasOwn(CAUSE_MESSAGES, code) ? CAUSE_MESSAGES[code] : null;
}
