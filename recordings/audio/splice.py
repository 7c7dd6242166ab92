"""A spliced view of a file (patched headers, a synthetic Xing frame) without copying."""

from __future__ import annotations

import io


class _SplicedFile(io.RawIOBase):
    """A read-only, seekable view of a file with bytes replaced or inserted.

    ``pieces`` lists what the view is made of, in order: ``(offset, length)`` ranges of the file
    (``length`` -1 = to its end) and ``bytes`` to insert. libsndfile reads it through soundfile's
    virtual I/O; the file itself is never modified or copied.
    """

    def __init__(self, path: str, size: int, pieces: list):
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._pieces = []
        start = 0
        for piece in pieces:
            if isinstance(piece, bytes):
                length = len(piece)
            else:
                offset, length = piece
                length = size - offset if length < 0 else length
                piece = offset
            self._pieces.append((start, start + length, piece))
            start += length
        self._size = start
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        for start, end, piece in self._pieces:
            if done == len(view):
                break
            if end <= self._pos:
                continue
            n = min(len(view) - done, end - self._pos)
            skip = self._pos - start
            if isinstance(piece, bytes):
                view[done : done + n] = piece[skip : skip + n]
            else:
                self._file.seek(piece + skip)
                wanted = n
                n = self._file.readinto(view[done : done + n]) or 0
                if n < wanted:  # the file is shorter than when the view was made
                    done += n
                    self._pos += n
                    break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        self._file.close()
        super().close()
