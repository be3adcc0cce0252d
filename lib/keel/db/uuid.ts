import { randomFillSync } from 'node:crypto';

/**
 * An app-side UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 74 random bits. For
 * servers where keel's foundation migration cannot create uuidv7() (no CREATE FUNCTION rights);
 * keys still sort by creation time. Within one millisecond the order is random.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
