import { z } from 'zod';

export const StoredFile = z.object({
  sha256: z.string().describe('文件的 SHA-256，提交整改、申请销号或报送时以此引用'),
  name: z.string(),
  size: z.number().int(),
  mime: z.string(),
  ref: z.string(),
});

export const Uploaded = z.object({ files: z.array(StoredFile) }).describe('已保存的文件');

export const EvidenceList = z
  .object({
    files: z.array(
      z.object({
        sha256: z.string(),
        name: z.string(),
        mime: z.string(),
        size: z.number().int(),
        unitId: z.string().nullable(),
        uploadedBy: z.string(),
        uploadedAt: z.string(),
        reused: z.boolean().optional().describe('同一文件是否在其他事项或由其他单位提交过（仅核查人员可见）'),
        reusedIn: z
          .array(z.object({ itemId: z.string(), unitId: z.string().nullable(), uploadedAt: z.string() }))
          .optional(),
      }),
    ),
  })
  .describe('事项的佐证材料');

export const FileContent = z.string().describe('文件内容（按其检测出的类型发送）');
