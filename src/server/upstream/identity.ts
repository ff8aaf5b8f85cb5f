/**
 * From an upstream identity to our user: the subject is a stable, opaque value derived from the
 * pair (upstream issuer, upstream subject), never an e-mail address or a user name (both can
 * change hands); the allow-lists admit users by upstream subject or user name, by verified
 * e-mail address or its domain, or by organisation.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { sha256Base64url } from '../crypto.js';
import type { UpstreamIdentity } from './provider.js';

/** Who may sign in. When at least one list is given, a user must match one entry of any list. */
export interface UpstreamAllowList {
  /** Upstream subjects, user names (GitHub logins) or e-mail addresses (compared without case). */
  users?: readonly string[];
  /**
   * E-mail domains (`example.com`): an address in one of them is admitted when the provider says
   * it verified it (`email_verified`; GitHub's addresses are verified). Providers that do not say
   * (Entra ID, many plain OAuth 2 providers) never match: use `users` or the provider's own tenant.
   */
  emailDomains?: readonly string[];
  /**
   * Organisations (GitHub); the provider is asked for the user's organisations (GitHub: `read:org`
   * and `/user/orgs`). A provider without organisations admits nobody by this list.
   */
  organizations?: readonly string[];
}

/** Our subject for the user `subject` of the provider `issuer`: `u_` + base64url SHA-256 of both. */
export async function subjectFor(issuer: string, subject: string): Promise<string> {
  return `u_${await sha256Base64url(`${issuer.length}:${issuer}|${subject}`)}`;
}

/** Checks the allow-list options; returns them lower-cased. */
export function checkAllowList(list: UpstreamAllowList | undefined): Required<UpstreamAllowList> {
  const lower = (values: readonly string[] | undefined, name: string) =>
    (values ?? []).map((value) => {
      if (typeof value !== 'string' || value.trim() === '') {
        throw new InvalidOptionError(`allow.${name} must list non-empty strings`);
      }
      return value.trim().toLowerCase();
    });
  return {
    users: lower(list?.users, 'users'),
    emailDomains: lower(list?.emailDomains, 'emailDomains').map((domain) => domain.replace(/^@/, '')),
    organizations: lower(list?.organizations, 'organizations'),
  };
}

/** True when no list is configured, or `identity` matches one entry of one list. */
export function isAllowed(identity: UpstreamIdentity, list: Required<UpstreamAllowList>): boolean {
  const configured = list.users.length + list.emailDomains.length + list.organizations.length;
  if (configured === 0) return true;
  const email = identity.email?.toLowerCase();
  // Only an address the provider says it verified: one that does not say (plain OAuth 2, Entra
  // ID's `email`) could be any address its user typed in.
  const verified = email !== undefined && identity.emailVerified === true;
  const names = [
    identity.subject.toLowerCase(),
    identity.username?.toLowerCase(),
    verified ? email : undefined,
  ];
  if (names.some((name) => name !== undefined && list.users.includes(name))) return true;
  if (verified && list.emailDomains.includes(email.slice(email.lastIndexOf('@') + 1))) return true;
  const orgs = identity.organizations?.map((org) => org.toLowerCase()) ?? [];
  return orgs.some((org) => list.organizations.includes(org));
}
