/**
 * What the MCP conformance runner tells the client through its environment:
 * `MCP_CONFORMANCE_SCENARIO` (the scenario name) and `MCP_CONFORMANCE_CONTEXT` (JSON with the
 * scenario's secrets, e.g. pre-registered credentials).
 *
 * @module
 */

/** The parsed conformance environment. */
export interface ConformanceContext {
  /** The scenario name, e.g. `auth/basic-cimd`; undefined when not run by the suite. */
  scenario: string | undefined;
  /** The whole `MCP_CONFORMANCE_CONTEXT` object (empty when unset). */
  raw: Record<string, unknown>;
  /** Pre-registered credentials (`auth/pre-registration`). */
  preRegistered?: { clientId: string; clientSecret?: string };
}

/**
 * Reads the conformance environment.
 *
 * @throws Error when `MCP_CONFORMANCE_CONTEXT` is set but is not a JSON object.
 */
export function readConformanceContext(
  env: Record<string, string | undefined> = process.env,
): ConformanceContext {
  const context: ConformanceContext = { scenario: env.MCP_CONFORMANCE_SCENARIO, raw: {} };
  const raw = env.MCP_CONFORMANCE_CONTEXT;
  if (raw === undefined || raw === '') return context;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('MCP_CONFORMANCE_CONTEXT is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('MCP_CONFORMANCE_CONTEXT is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  context.raw = record;
  if (typeof record.client_id === 'string' && record.client_id !== '') {
    context.preRegistered = { clientId: record.client_id };
    if (typeof record.client_secret === 'string') context.preRegistered.clientSecret = record.client_secret;
  }
  return context;
}
