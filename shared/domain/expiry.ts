/** Calendar dates travel as `YYYY-MM-DD`; a certificate is valid through the end of that day, UTC. */
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

export function isExpired(expiresAt: string, now: Date): boolean {
  const endOfDay = Date.parse(`${expiresAt}T23:59:59.999Z`);
  return now.getTime() > endOfDay;
}

/** The product page shows expiration dates as `2019/02/22`. */
export function formatExpirationDate(expiresAt: string): string {
  return expiresAt.replaceAll('-', '/');
}
