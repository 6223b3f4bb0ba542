/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The soma.bin this build ships, read from its header by vite.config.ts; null when unreadable. */
  readonly SOMA_WEIGHTS: { version: number; sha256: string; fileBytes: number } | null;
}
