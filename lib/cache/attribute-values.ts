import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/** DynamoDB attribute values in and out of the token table's items (strings and numbers only). */
export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
export const num = (item: Record<string, AttributeValue>, name: string): number | undefined =>
  item[name]?.N === undefined ? undefined : Number(item[name].N);
export const str = (item: Record<string, AttributeValue>, name: string): string | undefined => item[name]?.S;
