// The few platform APIs the model and the trainer use, which every place they run (browser page,
// worker, Node) has alike. Declared here so that this layer type-checks without the DOM's or
// Node's types: anything else from either is a type error (src/model/tsconfig.json).
declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
declare var performance: { now(): number };
declare var crypto: { subtle: { digest(algorithm: 'SHA-256', data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> } };
