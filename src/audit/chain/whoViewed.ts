/**
 * "Who viewed my record": the person's own view of the audit log. Each use of their record by a
 * professional, as organisation, role, time and purpose in plain words. Staff names are not shown
 * unless the deployment turns that on and supplies the names (the log itself holds only ids).
 * Sign-ins, refused attempts, feeds and background jobs are not uses of the record and are left out.
 */
import type { AuditAction, AuditEvent, AuditPurpose } from './event.ts';

export type WhoViewedActivity = 'viewed' | 'searched for' | 'exported' | 'used emergency access to' | 'declared a care relationship to' | 'looked at the access history of';

export interface WhoViewedEntry {
  time: string;
  /** Completes "… your record", e.g. "viewed". */
  activity: WhoViewedActivity;
  organisation: { odsCode?: string; name?: string };
  role?: string;
  purpose?: string;
  /** Present only when staff names are configured to be shown and the name is known. */
  staffName?: string;
}

export interface WhoViewedOptions {
  showStaffNames?: boolean;
  staffName?: (userId: string) => string | undefined;
  organisationName?: (odsCode: string) => string | undefined;
  /** Plain words for a role code, e.g. `clinician` → `Clinician`. */
  roleLabel?: (role: string) => string;
}

const ACTIVITIES: Partial<Record<AuditAction, WhoViewedActivity>> = {
  view: 'viewed',
  search: 'searched for',
  export: 'exported',
  'access-override': 'used emergency access to',
  'declare-relationship': 'declared a care relationship to',
  'audit-viewed': 'looked at the access history of',
};

const PURPOSE_WORDS: Record<AuditPurpose, string> = {
  'direct-care': 'Your care',
  'emergency-care': 'Emergency care',
  administration: 'Administration',
  'information-governance': 'Checking that your record is used properly',
  'rights-request': 'Your request about your data',
  'person-access': 'You looked at your own record',
};

/** One event as the person sees it, or undefined when it is not a use of their record. */
export function whoViewedEntry(event: AuditEvent, personId: string, options: WhoViewedOptions = {}): WhoViewedEntry | undefined {
  if (event.personId !== personId || event.outcome !== 'success' || event.actor.kind !== 'user') return undefined;
  // The person's own visits are theirs already; listing them would crowd out the ones they need to see.
  if (event.purpose === 'person-access') return undefined;
  const activity = ACTIVITIES[event.action];
  if (!activity) return undefined;
  const entry: WhoViewedEntry = { time: event.time, activity, organisation: {} };
  const ods = event.actor.organisationOds;
  if (ods) {
    entry.organisation.odsCode = ods;
    const name = options.organisationName?.(ods);
    if (name) entry.organisation.name = name;
  }
  if (event.actor.role) entry.role = options.roleLabel ? options.roleLabel(event.actor.role) : event.actor.role;
  if (event.purpose) entry.purpose = PURPOSE_WORDS[event.purpose];
  if (options.showStaffNames === true) {
    const name = options.staffName?.(event.actor.id);
    if (name) entry.staffName = name;
  }
  return entry;
}

/** All uses of the person's record among the events, newest first. */
export function whoViewed(events: Iterable<AuditEvent>, personId: string, options: WhoViewedOptions = {}): WhoViewedEntry[] {
  const found: { seq: number; entry: WhoViewedEntry }[] = [];
  for (const event of events) {
    const entry = whoViewedEntry(event, personId, options);
    if (entry) found.push({ seq: event.seq, entry });
  }
  // seq breaks ties between events in the same millisecond, and is the true order when clocks skew.
  found.sort((a, b) => (a.entry.time < b.entry.time ? 1 : a.entry.time > b.entry.time ? -1 : b.seq - a.seq));
  return found.map((f) => f.entry);
}
