/** Connection names appear in URLs and resource names: keep them boring. */
export const CONNECTION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
