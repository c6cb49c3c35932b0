export declare const root: string;
export declare const CLIENT_TYPES: string;
export declare function openApiDocumentText(): Promise<string>;
export declare function clientTypes(documentText: string): Promise<string>;
