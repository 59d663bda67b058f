/**
 * The files of a 举一反三 answer, each a button that downloads it (GET /api/fan-outs/:id/evidence/:sha256,
 * with the token) under the name the answer gives it: the spot-checker opens what a 不存在 rests on,
 * the unit what it sent. A refusal is shown in words beside the list.
 */
import { useState } from 'preact/hooks';
import { getToken } from '../api';
import { dispositionFileName, saveBlob } from '../files';
import { fileSize } from '../format';
import type { FanOutFile } from './fan-out-board';

async function download(fanOutId: string, file: FanOutFile): Promise<void> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(`/api/fan-outs/${encodeURIComponent(fanOutId)}/evidence/${file.sha256}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  } catch {
    throw new Error('无法连接服务器，请检查网络后重试');
  }
  if (res.status === 404) throw new Error('文件不存在，或您无权查看');
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { message?: string } | null;
    throw new Error(body?.message ?? `服务器返回错误（${res.status}）`);
  }
  const name = file.name ?? dispositionFileName(res.headers.get('content-disposition')) ?? file.sha256.slice(0, 8);
  saveBlob(await res.blob(), name);
}

export function AnswerFiles({ fanOutId, files }: { fanOutId: string; files: FanOutFile[] }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const open = (f: FanOutFile) => {
    setBusy(f.sha256);
    setFailed(null);
    download(fanOutId, f)
      .catch((e: Error) => setFailed(`${f.name ?? '附件'}：${e.message}`))
      .finally(() => setBusy(null));
  };
  return (
    <span class="answer-files" data-answer-files>
      {files.map((f, i) => (
        <span key={f.sha256}>
          {i > 0 && '、'}
          <button
            type="button"
            class="link"
            style={{ minHeight: '40px', overflowWrap: 'anywhere' }}
            disabled={busy === f.sha256}
            onClick={() => open(f)}
            title="下载"
            data-file-download={f.sha256}
          >
            {f.name ?? f.sha256.slice(0, 8)}
          </button>
          {f.size !== undefined && <span class="muted">（{fileSize(f.size)}）</span>}
        </span>
      ))}
      {failed && (
        <span class="bad" role="alert">
          {' '}
          {failed}
        </span>
      )}
    </span>
  );
}
