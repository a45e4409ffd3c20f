/**
 * Long lists a page at a time, newest first: the page shows its newest entries and a form to ask for
 * the ones before them. The search terms (an NHS number, a username) go back in the form body and
 * the position as an opaque cursor (the audit seq of the last entry shown), so neither is ever in a
 * URL; the buttons are plain form submissions and need no JavaScript.
 */
import { html, type Html } from './html.ts';

/** The `before` field of a paging form: a cursor from a previous page, or undefined for the newest page (absent, empty or not a cursor). */
export function parseCursor(text: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export interface PagingForm {
  /** Where the search was posted (the same route answers every page). */
  action: string;
  csrf: string;
  /** The search, sent again: field name → value. */
  fields: Readonly<Record<string, string>>;
  /** The cursor of the page after this one; absent on the last page. */
  next: number | undefined;
  /** Whether this page is not the newest (offers a way back to the newest). */
  earlier: boolean;
  /** What the list holds, for the buttons: "entries", "uses". */
  noun: string;
}

/** The buttons under a page: earlier entries (when there are any) and, on an earlier page, the newest. Nothing on a lone page. */
export function pagingForm(o: PagingForm): Html {
  if (o.next === undefined && !o.earlier) return html``;
  return html`<form action="${o.action}" method="post" novalidate class="ohc-paging">
  <input type="hidden" name="_csrf" value="${o.csrf}">
  ${Object.entries(o.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
  ${o.next !== undefined ? html`<button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit" name="before" value="${o.next}">Show earlier ${o.noun}</button>` : ''}
  ${o.earlier ? html`<button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit" name="before" value="">Show the newest ${o.noun}</button>` : ''}
</form>`;
}
