import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  paginateListObjectsV2,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsErrorCode, awsHttpStatus, callAws, type AwsScope } from './errors.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
}

/**
 * A bucket's lifecycle configuration as S3 returns it. Rules are kept as S3 wrote them (filters by
 * tag, And, object size; transitions; noncurrent-version rules…), so a rule flowdump did not write
 * is put back exactly as it was read.
 */
export interface LifecycleConfiguration {
  rules: LifecycleRule[];
  /** a bucket-wide setting sent beside the rules (a header): kept as it was */
  transitionDefaultMinimumObjectSize?: string;
}

export type { LifecycleRule };

/** The S3 calls flowdump makes, and nothing else (a port: docs/architecture.md). */
export interface S3Port {
  /** 'mine' (exists, we can reach it), 'missing', or 'foreign' (exists, owned by someone else) */
  bucketStatus(bucket: string): Promise<'mine' | 'missing' | 'foreign'>;
  createBucket(bucket: string, region: string): Promise<void>;
  getPublicAccessBlock(bucket: string): Promise<{ blockAll: boolean } | undefined>;
  putPublicAccessBlock(bucket: string): Promise<void>;
  getDefaultEncryption(bucket: string): Promise<string | undefined>;
  putDefaultEncryptionS3(bucket: string): Promise<void>;
  getBucketPolicy(bucket: string): Promise<string | undefined>;
  putBucketPolicy(bucket: string, policy: string): Promise<void>;
  getLifecycleConfiguration(bucket: string): Promise<LifecycleConfiguration>;
  /** replaces the bucket's lifecycle configuration (the caller merges) */
  putLifecycleConfiguration(bucket: string, configuration: LifecycleConfiguration): Promise<void>;
  listObjects(bucket: string, prefix: string): AsyncIterable<ObjectInfo>;
  /** the "folders" directly under `prefix` (ListObjectsV2 with Delimiter "/"), each ending in "/" */
  listFolders(bucket: string, prefix: string): Promise<string[]>;
  getObject(bucket: string, key: string): AsyncIterable<Uint8Array>;
  /** the last `bytes` bytes of an object (a ranged GET); undefined when it does not exist */
  getObjectTail(bucket: string, key: string, bytes: number): Promise<Uint8Array | undefined>;
  /** undefined when the object does not exist */
  getObjectText(bucket: string, key: string): Promise<string | undefined>;
  putObject(bucket: string, key: string, body: string, contentType: string, options?: { ifNoneMatch?: boolean }): Promise<'written' | 'exists'>;
  /** deletes up to 1000 keys; returns the keys S3 refused */
  deleteObjects(bucket: string, keys: string[]): Promise<{ key: string; code: string; message: string }[]>;
  /** the objects under `prefix` whose keys sort after `startAfter` (ListObjectsV2 StartAfter; all of them when undefined) */
  listObjectsAfter(bucket: string, prefix: string, startAfter: string | undefined): AsyncIterable<ObjectInfo>;
}

/**
 * `expectedOwner`: the account every call names as the bucket's owner (ExpectedBucketOwner), so
 * a bucket someone else created under flowdump's name is refused by S3 itself (403) instead of
 * receiving the user's flow logs:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 * Without it (analyzing somebody else's data), calls name no owner.
 */
export function createS3Port(client: S3Client, scope: AwsScope, expectedOwner?: string): S3Port {
  const owner = expectedOwner ? { ExpectedBucketOwner: expectedOwner } : {};
  /** ListObjectsV2 page by page (after `startAfter`, when given); a bucket that is gone lists nothing. */
  function listFrom(bucket: string, prefix: string, startAfter: string | undefined): AsyncIterable<ObjectInfo> {
    return {
      async *[Symbol.asyncIterator]() {
        const pages = paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, ...(startAfter !== undefined ? { StartAfter: startAfter } : {}), ...owner });
        const iterator = pages[Symbol.asyncIterator]();
        for (;;) {
          const next = await callAws(scope, { action: 's3:ListBucket', resource: `s3://${bucket}/${prefix}` }, async () => {
            try {
              return await iterator.next();
            } catch (error) {
              if (awsErrorCode(error) === 'NoSuchBucket') return { done: true as const, value: undefined };
              throw error;
            }
          });
          if (next.done) return;
          for (const object of next.value.Contents ?? []) {
            if (object.Key) yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified };
          }
        }
      },
    };
  }
  const missing = (error: unknown) => ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes(awsErrorCode(error) ?? '') || awsHttpStatus(error) === 404;
  return {
    async bucketStatus(bucket) {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket, ...owner }));
        return 'mine';
      } catch (error) {
        if (missing(error)) return 'missing';
        if (awsHttpStatus(error) === 403) return 'foreign';
        return callAws(scope, { action: 's3:ListBucket', resource: `s3://${bucket}` }, () => Promise.reject(error));
      }
    },
    async createBucket(bucket, region) {
      await callAws(scope, { action: 's3:CreateBucket', resource: `s3://${bucket}` }, async () => {
        // us-east-1 takes no LocationConstraint: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
          }),
        );
      });
    },
    async getPublicAccessBlock(bucket) {
      return callAws(scope, { action: 's3:GetBucketPublicAccessBlock', resource: `s3://${bucket}` }, async () => {
        try {
          const response = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket, ...owner }));
          const c = response.PublicAccessBlockConfiguration ?? {};
          return { blockAll: Boolean(c.BlockPublicAcls && c.BlockPublicPolicy && c.IgnorePublicAcls && c.RestrictPublicBuckets) };
        } catch (error) {
          if (awsErrorCode(error) === 'NoSuchPublicAccessBlockConfiguration') return undefined;
          throw error;
        }
      });
    },
    async putPublicAccessBlock(bucket) {
      await callAws(scope, { action: 's3:PutBucketPublicAccessBlock', resource: `s3://${bucket}` }, async () => {
        await client.send(
          new PutPublicAccessBlockCommand({
            Bucket: bucket,
            ...owner,
            PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          }),
        );
      });
    },
    async getDefaultEncryption(bucket) {
      return callAws(scope, { action: 's3:GetEncryptionConfiguration', resource: `s3://${bucket}` }, async () => {
        try {
          const response = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket, ...owner }));
          return response.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
        } catch (error) {
          if (awsErrorCode(error) === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
          throw error;
        }
      });
    },
    async putDefaultEncryptionS3(bucket) {
      await callAws(scope, { action: 's3:PutEncryptionConfiguration', resource: `s3://${bucket}` }, async () => {
        await client.send(
          new PutBucketEncryptionCommand({
            Bucket: bucket,
            ...owner,
            ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          }),
        );
      });
    },
    async getBucketPolicy(bucket) {
      return callAws(scope, { action: 's3:GetBucketPolicy', resource: `s3://${bucket}` }, async () => {
        try {
          return (await client.send(new GetBucketPolicyCommand({ Bucket: bucket, ...owner }))).Policy;
        } catch (error) {
          if (awsErrorCode(error) === 'NoSuchBucketPolicy') return undefined;
          throw error;
        }
      });
    },
    async putBucketPolicy(bucket, policy) {
      await callAws(scope, { action: 's3:PutBucketPolicy', resource: `s3://${bucket}` }, async () => {
        await client.send(new PutBucketPolicyCommand({ Bucket: bucket, ...owner, Policy: policy }));
      });
    },
    async getLifecycleConfiguration(bucket) {
      return callAws(scope, { action: 's3:GetLifecycleConfiguration', resource: `s3://${bucket}` }, async () => {
        try {
          const response = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket, ...owner }));
          return {
            rules: response.Rules ?? [],
            ...(response.TransitionDefaultMinimumObjectSize ? { transitionDefaultMinimumObjectSize: response.TransitionDefaultMinimumObjectSize } : {}),
          };
        } catch (error) {
          if (awsErrorCode(error) === 'NoSuchLifecycleConfiguration') return { rules: [] };
          throw error;
        }
      });
    },
    async putLifecycleConfiguration(bucket, configuration) {
      await callAws(scope, { action: 's3:PutLifecycleConfiguration', resource: `s3://${bucket}` }, async () => {
        await client.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: bucket,
            ...owner,
            LifecycleConfiguration: { Rules: configuration.rules },
            ...(configuration.transitionDefaultMinimumObjectSize ? { TransitionDefaultMinimumObjectSize: configuration.transitionDefaultMinimumObjectSize as never } : {}),
          }),
        );
      });
    },
    listObjects(bucket, prefix) {
      return listFrom(bucket, prefix, undefined);
    },
    async listFolders(bucket, prefix) {
      return callAws(scope, { action: 's3:ListBucket', resource: `s3://${bucket}/${prefix}` }, async () => {
        const out: string[] = [];
        try {
          for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, Delimiter: '/', ...owner })) {
            for (const folder of page.CommonPrefixes ?? []) if (folder.Prefix) out.push(folder.Prefix);
          }
        } catch (error) {
          if (awsErrorCode(error) === 'NoSuchBucket') return [];
          throw error;
        }
        return out;
      });
    },
    getObject(bucket, key) {
      return {
        async *[Symbol.asyncIterator]() {
          const response = await callAws(scope, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` }, () => client.send(new GetObjectCommand({ Bucket: bucket, ...owner, Key: key })));
          const body = response.Body as AsyncIterable<Uint8Array> | undefined;
          if (!body) return;
          yield* body;
        },
      };
    },
    async getObjectTail(bucket, key, bytes) {
      return callAws(scope, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` }, async () => {
        try {
          // a suffix range: https://www.rfc-editor.org/rfc/rfc9110#name-byte-ranges (S3 supports it on GetObject)
          const response = await client.send(new GetObjectCommand({ Bucket: bucket, ...owner, Key: key, Range: `bytes=-${bytes}` }));
          return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
        } catch (error) {
          if (missing(error)) return undefined;
          throw error;
        }
      });
    },
    async getObjectText(bucket, key) {
      return callAws(scope, { action: 's3:GetObject', resource: `s3://${bucket}/${key}` }, async () => {
        try {
          const response = await client.send(new GetObjectCommand({ Bucket: bucket, ...owner, Key: key }));
          return await response.Body?.transformToString('utf8');
        } catch (error) {
          if (missing(error)) return undefined;
          throw error;
        }
      });
    },
    async putObject(bucket, key, body, contentType, options = {}) {
      return callAws(scope, { action: 's3:PutObject', resource: `s3://${bucket}/${key}` }, async () => {
        try {
          await client.send(new PutObjectCommand({ Bucket: bucket, ...owner, Key: key, Body: body, ContentType: contentType, ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }));
          return 'written' as const;
        } catch (error) {
          // conditional write lost the race: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
          if (options.ifNoneMatch && (awsErrorCode(error) === 'PreconditionFailed' || awsHttpStatus(error) === 412 || awsErrorCode(error) === 'ConditionalRequestConflict')) return 'exists' as const;
          throw error;
        }
      });
    },
    async deleteObjects(bucket, keys) {
      if (keys.length === 0) return [];
      return callAws(scope, { action: 's3:DeleteObject', resource: `s3://${bucket}/${keys[0]}${keys.length > 1 ? ` (+${keys.length - 1})` : ''}` }, async () => {
        const response = await client.send(new DeleteObjectsCommand({ Bucket: bucket, ...owner, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        return (response.Errors ?? []).map((error) => ({ key: error.Key ?? '?', code: error.Code ?? 'Unknown', message: error.Message ?? '' }));
      });
    },
    listObjectsAfter(bucket, prefix, startAfter) {
      return listFrom(bucket, prefix, startAfter);
    },
  };
}
