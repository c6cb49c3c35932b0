export declare const DEFAULT_PORTS: { dev: number; deno: number; s3: number };
export declare function devSettings(env?: NodeJS.ProcessEnv): {
  port(runtime: "dev" | "deno"): number;
  s3Port: number;
  inspectorPort: number | undefined;
  state: { wrangler: string; s3: string; deno: string };
  devVarsFile: string | undefined;
};
export declare function localWorkerVars(devVarsFile?: string): Promise<Record<string, string>>;
export declare function portInUse(port: number): Promise<boolean>;
export declare function freePort(): Promise<number>;
export declare const SAMPLE_EVENT_KEY: string;
export declare function sampleEventCurl(options: { s3Port: number; bucket: string; apiPort: number; key?: string }): Promise<string>;
