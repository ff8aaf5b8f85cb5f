/**
 * The consent page's notice that the application changed since the user last allowed it: which
 * identity fields changed, and from what to what. Every value is attacker-controlled (the client
 * writes its own document) and escaped by hono/html.
 *
 * @module
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { IdentityChange } from '../clients/identity.js';

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

function addresses(values: readonly string[]): Fragment[] {
  return values.map((value, index) => html`${index === 0 ? '' : ', '}<code>${value}</code>`);
}

function nameChange(from: string | undefined, to: string | undefined): Fragment {
  if (from !== undefined && to !== undefined) {
    return html`Its name changed from “${from}” to “${to}”.`;
  }
  if (to !== undefined) return html`It now calls itself “${to}”; it gave no name before.`;
  return html`It no longer gives a name; it called itself “${from}”.`;
}

function homePageChange(from: string | undefined, to: string | undefined): Fragment {
  if (from !== undefined && to !== undefined) {
    return html`Its home page changed from <code>${from}</code> to <code>${to}</code>.`;
  }
  if (to !== undefined) return html`It now gives a home page: <code>${to}</code>.`;
  return html`It no longer gives a home page; it was <code>${from}</code>.`;
}

function redirectChange(added: readonly string[], removed: readonly string[]): Fragment {
  const now = added.length === 0 ? '' : html` It may now also send you to ${addresses(added)}.`;
  const gone = removed.length === 0 ? '' : html` It no longer uses ${addresses(removed)}.`;
  return html`Its redirect addresses changed.${now}${gone}`;
}

function keysChange(added: number, removed: number, jwksUriChanged: boolean): Fragment {
  const counts = [
    ...(added === 0 ? [] : [`${added} added`]),
    ...(removed === 0 ? [] : [`${removed} removed`]),
  ];
  const detail = counts.length === 0 ? '' : ` (${counts.join(', ')})`;
  const where = jwksUriChanged ? ' The address it publishes its keys at changed.' : '';
  return html`Its keys changed${detail}.${where}`;
}

function describe(change: IdentityChange): Fragment {
  switch (change.field) {
    case 'client_name':
      return nameChange(change.from, change.to);
    case 'client_uri':
      return homePageChange(change.from, change.to);
    case 'logo_uri':
      return html`Its logo changed.`;
    case 'redirect_uris':
      return redirectChange(change.added, change.removed);
    case 'keys':
      return keysChange(change.added, change.removed, change.jwksUriChanged);
    case 'unknown':
      return html`Its registration changed; what changed was not recorded.`;
  }
}

/**
 * The notice for `changes` (what changed since the user's consent; empty when only members other
 * than the identity fields changed), or nothing when `changes` is undefined (no earlier consent,
 * or the document is the one approved).
 */
export function changesNotice(changes: readonly IdentityChange[] | undefined): Fragment | '' {
  if (changes === undefined) return '';
  const items =
    changes.length === 0
      ? html`<li>Its registration changed.</li>`
      : changes.map((change) => html`<li>${describe(change)}</li>`);
  return html`<div class="warning" role="note" id="changes-since-consent"><p><strong>This application changed
since you last allowed it.</strong> Check that you still recognise it before you allow access again.</p>
<ul>${items}</ul></div>`;
}
