/**
 * A node's version matches the certified one when it is equal to it or
 * extends it by further dotted components: `11.0.3` matches `11.0`,
 * `11.01` does not (a prefix of characters is not a prefix of components).
 */
export function matchesCertifiedVersion(certified: string, local: string): boolean {
  return local === certified || local.startsWith(`${certified}.`);
}
