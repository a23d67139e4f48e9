import type { Scenario } from '../scenario/scenario.js';
import type { VersionRange } from '../core/docker-version.js';

/**
 * A publicly reported Swarm networking bug, as the catalogue under known-bugs/
 * keeps it: what it is, where it shows, the scenario that reproduces it, and
 * the observable that decides. Loaded by load-known-bugs.ts, the only place
 * that reads the YAML.
 */

/** Traffic symptoms, each an "at least": 1 failed request, a gap of 0.9 s, 3 requests near a SYN retransmit. */
export interface TrafficSymptom {
  failed?: number;
  gapSeconds?: number;
  nearSynRetransmit?: number;
}

/** How the bug is brought about and recognised. */
export interface Reproduction {
  scenario: Scenario;
  /** The step whose outcome decides (its index from 1); undefined: any step. */
  step?: number;
  /** Check ids whose failure after the step is the bug (any one of them). */
  checks: string[];
  /** Or a traffic symptom during the step. */
  traffic?: TrafficSymptom;
}

/** An engine known to be exposed to the bug even where no check can fail: said as a warning instead of a bare skip. */
export interface Exposure {
  /** The check that is skipped on those engines. */
  check: string;
  /** Engines older than this are exposed. */
  below: string;
  /** What the exposure means, in a sentence. */
  says: string;
}

export interface KnownBug {
  /** The upstream reference, e.g. moby#36988. */
  id: string;
  /** Where it was loaded from. */
  source: string;
  title: string;
  url: string;
  /** One paragraph in our own words. */
  summary: string;
  /** Which versions it was reported on, as the thread says. */
  reported: string;
  affects: VersionRange;
  /** The change that fixed it, where known (moby/moby#53142). */
  fix?: string;
  reproduce: Reproduction;
  /** Why swarmlab's recipe does not bring it about anywhere, and what was tried: then NOT REPRODUCED is expected. */
  unreproducible?: string;
  exposure?: Exposure;
}
