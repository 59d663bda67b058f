import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
// The package is CommonJS: a default import works under plain Node ESM as well as in bundlers.
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypts every payload that goes to Temporal (workflow inputs, update arguments and results,
 * query results, activity inputs) with AES-256-GCM, so item contents are not in clear text in
 * Temporal's database or web UI. Search attributes and workflow ids are not payloads: they
 * carry only status, unit ids, dates and lights.
 *
 * Payloads written before encryption was turned on (and the recorded histories the replay
 * test uses) decode unchanged. Old keys can be kept for decoding while a new one encrypts.
 */
const PayloadProto = proto.temporal.api.common.v1.Payload;
const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

export function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('a payload key is 32 bytes, base64-encoded (openssl rand -base64 32)');
  return key;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: string;

  constructor(current: Buffer, old: Buffer[] = []) {
    this.currentId = keyId(current);
    this.keys = new Map([current, ...old].map((k) => [keyId(k), k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentId) as Buffer;
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = PayloadProto.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.currentId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCODING) return p;
      const id = Buffer.from(p.metadata?.[KEY_ID] ?? []).toString();
      const key = this.keys.get(id);
      if (!key) throw new Error(`payload encrypted with unknown key ${id}; add it to PAYLOAD_KEYS_OLD`);
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return PayloadProto.decode(plain) as Payload;
    });
  }
}

/** The data converter for client and worker alike; none when no key is configured. */
export function dataConverterFor(key: Buffer | undefined, old: Buffer[] = []) {
  return key ? { payloadCodecs: [new EncryptionCodec(key, old)] } : undefined;
}
