/**
 * The client policy of `cimd serve`: `--no-cimd`, `--resource-policy` rules and
 * `--allowed-redirect-uri` patterns, read from flags, the environment or the config file and
 * checked as the server will use them. Problems are collected, not thrown.
 *
 * A rule as text: `<uri> clients=<entry>,… scopes=<scope>,… grants=<grant>,…`, each part
 * optional (a part left out sets no limit), e.g.
 * `https://mcp.example.com/mcp clients=trusted,*.example.com scopes=mcp:read grants=authorization_code,refresh_token`.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js';
import { compileClientPolicy, type ResourceRule } from '../../server/policy/client-policy.js';
import { compileRedirectUriPatterns } from '../../server/policy/redirect-patterns.js';
import type { KeyedProblem } from './errors.js';
import type { ServeSettings } from './schema.js';

/** The client policy `cimd serve` runs with. */
export interface ClientPolicyConfig {
  /** Accept CIMD clients (`--no-cimd` turns them off). */
  cimd: boolean;
  /** One rule per resource. */
  resources: ResourceRule[];
  /** Server-wide redirect URI patterns; empty: no limit. */
  allowedRedirectUris: string[];
}

const PARTS = ['clients', 'scopes', 'grants'] as const;

/** A rule from its text form; throws `InvalidOptionError` saying what is wrong. */
export function parseResourceRule(text: string): ResourceRule {
  const [resource, ...parts] = text.trim().split(/\s+/);
  if (resource === undefined || resource === '' || resource.includes('=')) {
    throw new InvalidOptionError(
      `a rule starts with the resource URI, then clients=…, scopes=…, grants=… (each optional); got ${JSON.stringify(text)}`,
    );
  }
  const rule: { resource: string } & Partial<Record<(typeof PARTS)[number], string[]>> = { resource };
  for (const part of parts) {
    const at = part.indexOf('=');
    const name = part.slice(0, at) as (typeof PARTS)[number];
    if (at < 0 || !PARTS.includes(name)) {
      throw new InvalidOptionError(
        `${JSON.stringify(part)} in the rule for ${resource}: expected clients=<entry>,…, scopes=<scope>,… or grants=<grant>,…`,
      );
    }
    if (rule[name] !== undefined)
      throw new InvalidOptionError(`the rule for ${resource} names ${name} twice`);
    rule[name] = part
      .slice(at + 1)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  return rule;
}

function ruleOf(item: string | Record<string, unknown>): ResourceRule {
  if (typeof item === 'string') return parseResourceRule(item);
  const unknown = Object.keys(item).find(
    (name) => name !== 'resource' && !(PARTS as readonly string[]).includes(name),
  );
  if (unknown !== undefined) {
    throw new InvalidOptionError(
      `a resource rule has the members resource, clients, scopes and grants; got ${JSON.stringify(unknown)}`,
    );
  }
  return item as unknown as ResourceRule;
}

/**
 * The client policy. `served` are the resolved `--resource`s; when empty (the demo adds its own
 * later) the rules' resources are checked when the server starts instead.
 */
export function resolveClientPolicy(
  settings: ServeSettings,
  served: readonly string[],
  problems: KeyedProblem[],
): ClientPolicyConfig {
  const resources: ResourceRule[] = [];
  for (const item of settings.resourcePolicy ?? []) {
    try {
      resources.push(ruleOf(item));
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      problems.push({ key: 'resourcePolicy', message: error.message });
    }
  }
  const config: ClientPolicyConfig = {
    cimd: settings.cimd,
    resources,
    allowedRedirectUris: [...new Set(settings.allowedRedirectUris ?? [])],
  };
  try {
    compileRedirectUriPatterns(config.allowedRedirectUris);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    problems.push({ key: 'allowedRedirectUris', message: error.message });
  }
  if (served.length === 0) return config;
  // Each rule on its own, so every bad one is reported; then all together (one rule per resource).
  let ruleProblems = 0;
  for (const rule of resources) {
    try {
      compileClientPolicy({ resources: [rule] }, served);
    } catch (error) {
      if (!(error instanceof InvalidOptionError)) throw error;
      ruleProblems += 1;
      problems.push({
        key: 'resourcePolicy',
        message: error.message.replace(/^clientPolicy\.resources\[\d+\]\.?/, 'a rule: '),
      });
    }
  }
  if (ruleProblems > 0) return config;
  try {
    compileClientPolicy({ resources }, served);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    problems.push({
      key: 'resourcePolicy',
      message: error.message.replace(/^clientPolicy\.resources\.?/, 'the rules: '),
    });
  }
  return config;
}
