/**
 * The placeholder `client_id` that `createClientMetadata` writes when no URL is given.
 *
 * @module
 */

/**
 * The `client_id` written when none is given. It can never be mistaken for a real one: its
 * `.example` host fails CIMD-URL-09, and the linter flags it by name (CIMD-LINT-15), so a
 * document that still carries it does not pass silently. Replace it with the https URL the
 * document will be served at.
 */
export const PLACEHOLDER_CLIENT_ID = 'https://YOUR-DOMAIN.example/path/to/client.json';
