"""Web API methods on files: ``files.upload`` and the external upload flow
(``files.getUploadURLExternal``, a POST of the bytes to the upload URL, which
:mod:`fakes.slack.server` takes, then ``files.completeUploadExternal``)."""

from __future__ import annotations

import dataclasses
import secrets
import time

from fakes.slack.params import _int, _json_arg, _required, _str
from fakes.slack.records import JSONDict, UploadedFile, _ApiError, _Ctx
from fakes.slack.state import SlackState


class FileMethods(SlackState):
    """``files.*``."""

    def _new_file_id(self) -> str:
        self._counter += 1
        return f"F{self._counter:08d}{secrets.token_hex(2).upper()}"

    def _file_object(self, f: UploadedFile) -> JSONDict:
        return {
            "id": f.id,
            "created": int(time.time()),
            "name": f.filename,
            "title": f.title,
            "mimetype": "application/octet-stream",
            "size": len(f.content),
            "user_team": f.team_id,
            "permalink": f"https://fake.slack.test/files/{f.id}/{f.filename}",
            "url_private": f"{self.base_url}files/{f.id}",
        }

    def _share_files(self, ctx: _Ctx, files: list[UploadedFile]) -> None:
        if not files or not files[0].channel:
            return
        f = files[0]
        msg: JSONDict = {
            "channel": f.channel,
            "team_id": f.team_id,
            "ts": self._next_ts(),
            "text": f.initial_comment or "",
            "blocks": None,
            "thread_ts": f.thread_ts,
            "metadata": None,
            "user": ctx.auth.user_id,
            "bot_id": ctx.auth.bot_id,
            "files": [self._file_object(one) for one in files],
            "subtype": "file_share",
            "source": "file_share",
        }
        self._store(msg)

    def _files_upload(self, ctx: _Ctx) -> JSONDict:
        raw = ctx.params.get("file")
        if raw is None:
            raw = ctx.params.get("content")
        if raw is None:
            raise _ApiError("no_file_data")
        content = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        filename = (
            _str(ctx.params, "filename") or _str(ctx.params, "__filename__") or "Uploaded file"
        )
        channels = [c for c in (_str(ctx.params, "channels") or "").split(",") if c]
        f = UploadedFile(
            id=self._new_file_id(),
            team_id=ctx.team_id,
            filename=filename,
            title=_str(ctx.params, "title") or filename,
            content=content,
            length=len(content),
            channel=channels[0] if channels else None,
            thread_ts=_str(ctx.params, "thread_ts") or None,
            initial_comment=_str(ctx.params, "initial_comment"),
            completed=True,
        )
        self._files[f.id] = f
        self._share_files(ctx, [f])
        return {"file": self._file_object(f)}

    def _files_get_upload_url(self, ctx: _Ctx) -> JSONDict:
        filename = _required(ctx.params, "filename")
        length = _int(ctx.params, "length", -1)
        if length < 0:
            raise _ApiError("invalid_arguments")
        f = UploadedFile(
            id=self._new_file_id(),
            team_id=ctx.team_id,
            filename=filename,
            title=filename,
            content=b"",
            length=length,
        )
        self._files[f.id] = f
        return {"upload_url": f"{self.base_url}upload/{f.id}", "file_id": f.id}

    def _files_complete_upload(self, ctx: _Ctx) -> JSONDict:
        files = _json_arg(ctx.params, "files", "invalid_arguments")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments")
        channel = _str(ctx.params, "channel_id") or None
        if channel is None and _str(ctx.params, "channels"):
            channel = (_str(ctx.params, "channels") or "").split(",")[0]
        if channel is not None:
            channel = self._resolve(ctx.team_id, channel).id
        done: list[UploadedFile] = []
        for item in files:
            fid = item.get("id") if isinstance(item, dict) else None
            known = self._files.get(fid) if isinstance(fid, str) else None
            if known is None or known.team_id != ctx.team_id or not known.content:
                raise _ApiError("file_not_found")
            assert isinstance(item, dict)
            completed = dataclasses.replace(
                known,
                title=item.get("title") or known.title,
                channel=channel,
                thread_ts=_str(ctx.params, "thread_ts") or None,
                initial_comment=_str(ctx.params, "initial_comment"),
                completed=True,
            )
            self._files[completed.id] = completed
            done.append(completed)
        self._share_files(ctx, done)
        return {"files": [self._file_object(f) for f in done]}
