/**
 * Docker versions as the catalogue compares them: the numeric release
 * (20.10.24 of "20.10.24+dfsg1"), part by part, a missing part counting as 0
 * (so "29.0" equals "29.0.0").
 */

const versionPattern = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

/** The numeric parts of a version, or undefined when it does not start like one. */
function releaseParts(version: string): number[] | undefined {
  const m = versionPattern.exec(version.trim().replace(/^v/, ''));
  return m ? [m[1], m[2], m[3]].map((p) => Number(p ?? 0)) : undefined;
}

export function isDockerVersion(text: string): boolean {
  return releaseParts(text) !== undefined;
}

/** Negative when a is older than b, 0 when the same release, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const pa = releaseParts(a);
  const pb = releaseParts(b);
  if (!pa || !pb) throw new Error(`not a Docker version: ${pa ? b : a}`);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a version is `wanted` or newer; text that is no version (an engine that did not say) counts as older. */
export function atLeast(version: string, wanted: string): boolean {
  return isDockerVersion(version) && compareVersions(version, wanted) >= 0;
}

/**
 * The releases a bug shows on: from `from` (or always) until `fixedIn`, the release that fixed it, or, when the
 * thread names none, `fixedBefore`, a release known to come after the fix; neither: not fixed.
 */
export interface VersionRange {
  from?: string;
  fixedIn?: string;
  fixedBefore?: string;
}

export function inRange(version: string, range: VersionRange): boolean {
  const end = range.fixedIn ?? range.fixedBefore;
  if (range.from !== undefined && compareVersions(version, range.from) < 0) return false;
  if (end !== undefined && compareVersions(version, end) >= 0) return false;
  return true;
}

/** "affects 17.06 and later, fixed in 29.0" / "..., fixed before 20.10.5" / "..., no fixing release named". */
export function formatRange(range: VersionRange): string {
  const from = range.from ? `${range.from} and later` : 'every version';
  const fixed = range.fixedIn
    ? `fixed in ${range.fixedIn}`
    : range.fixedBefore
      ? `fixed before ${range.fixedBefore}`
      : 'no fixing release named';
  return `affects ${from}, ${fixed}`;
}
