import type { ChildProcess, SpawnOptions } from "node:child_process";

export declare const ROOT: string;
export declare function spawnLocalS3(options?: {
  port?: number;
  dir?: string;
  bucket?: string;
  seed?: string;
  spawnOptions?: SpawnOptions;
}): Promise<{ child: ChildProcess; port: number; bucket: string }>;
export declare function denoBinary(): string;
export declare function ensureDevVars(): Promise<boolean>;
export declare function parseDevVars(text: string): Record<string, string>;
export declare function childGroup(options?: { graceMs?: number }): {
  start(command: string, args: string[], options?: SpawnOptions & { stopSignal?: NodeJS.Signals; repeatStopSignal?: boolean }): ChildProcess;
  run(command: string, args: string[], options?: SpawnOptions & { stopSignal?: NodeJS.Signals; repeatStopSignal?: boolean }): Promise<void>;
  adopt(child: ChildProcess, options?: { stopSignal?: NodeJS.Signals; repeatStopSignal?: boolean }): ChildProcess;
  stopAll(signal?: NodeJS.Signals): Promise<void>;
  readonly stopping: boolean;
};
