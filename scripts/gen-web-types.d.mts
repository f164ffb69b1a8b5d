/** See gen-web-types.mjs. */
export declare const WEB_TYPES_FILE: string;
export declare function renderWebTypes(document: unknown): Promise<string>;
