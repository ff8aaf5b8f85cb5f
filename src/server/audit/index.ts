/**
 * The audit stream: events, sinks and the observer that joins them.
 *
 * @module
 */
export {
  AUDIT_EVENT_TYPES,
  AUDIT_EVENT_VERSION,
  type AuditEvent,
  type AuditEventType,
  toAuditEvent,
} from './events.js';
export { type AuditSink, auditObserver, fileAuditSink, functionAuditSink, streamAuditSink } from './sinks.js';
