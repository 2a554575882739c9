"""Public cross-domain benchmark pairs, named and pinned: which files make each pair, and where
they come from (repository, commit, path, size, SHA-256). `fetch` (crossrec/data/fetch.py)
downloads, verifies and registers them as pair folders.

- CDRIB (Cao et al., ICDE 2022, github.com/cjx96/CDRIB): folders `X_Y/{train,valid,test}.txt`
  hold domain X; a pair X->Y reads `X_Y` as the source and `Y_X` as the target with its given
  cold-start validation and test users. Ids 0..C-1 are the same people in both domains (C as
  CDRIB's `train_rec.py` computes it), so the pair gets a links file for them; other equal ids
  are different people.
- DisenCDR (Cao et al., SIGIR 2022, github.com/cjx96/DisenCDR): folders `X_Y/{train,test}.txt`,
  every user shared by id, a leave-one-out test (`test.txt`, the file its evaluation reads);
  validation is carved from the target's training rows by our protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from crossrec.errors import UnknownPairError

GITHUB_RAW = "https://raw.githubusercontent.com"
MIRROR_ENV = "CROSSREC_DATASET_MIRROR"  # replaces GITHUB_RAW in every address

# repository, commit, then "path bytes sha256" rows, as the repositories held them at that commit.
PINS = {
    ("cjx96/CDRIB", "bd9894565ce06e9ab187f8a52ba03919aaee5e13"): """
        dataset/cloth_sport/test.txt 31542 4980e2e43f9523f9f4633e36e7c84b84caa0d09324f7c768d4985425a2832077
        dataset/cloth_sport/train.txt 2041877 12885bf488ae0e3ef11c4dbc518f4bcc82dcccca799ae0506a21a4ce1ccff0c2
        dataset/cloth_sport/valid.txt 32189 f53c435ca8ec036048adcdf495e109dd7fc5f0917d1efdc29f4817f86a3f8fee
        dataset/game_video/test.txt 12967 b61703adcb7c9b0a8e4b61c865b650aee05b84fba7e15d690f0b50df3aa85bdc
        dataset/game_video/train.txt 1613278 758f443fde7211f7253d22999d4c94eb6a07ba10661d38ef3a72a5c78c70105f
        dataset/game_video/valid.txt 13750 e6dace5c64d53c0df3b09ed606a530b22d5147da068c0ae4e5bf8f805381a973
        dataset/sport_cloth/test.txt 35335 6f15fea0aa3ec02e4609aa4245ac7a4c6ea3c5e30d662ed1155698ab606e2582
        dataset/sport_cloth/train.txt 1706510 9c85ed3ce03c67d97cbf5f7789c70d74e47187d7ec0c5d220943f7ed4a92a4fc
        dataset/sport_cloth/valid.txt 35744 a7a61b75096decef81dc5e59efee15bf5af748ba123ddb22d373fc71ae4537df
        dataset/video_game/test.txt 14227 ba2cb882b8369635a2d72703f4ccbd961475064479c8727ef7cc3d973e800abd
        dataset/video_game/train.txt 1570963 fcba16c5d28a052ae4251d5db055397fac34cb9a6bba36506d195982aacae887
        dataset/video_game/valid.txt 14036 2da785b3a1e7e1dbb4c0fcc35e47ea8654b7c4dbd4313f808da2a4e346cde812
    """,
    ("cjx96/DisenCDR", "4e6d60bad4d5185c99ab60423b48f87f88aa03a3"): """
        dataset/cloth_electronic/test.txt 161965 0b604b69d3eb531bf99a11e2322f247694f7a593905e0c0c04c54e2a58fb0f78
        dataset/cloth_electronic/train.txt 1569278 678124e0dbf8d162041f8b656bd5e89ee2a678df2c85812f94fd7c0bd2062f6f
        dataset/cloth_sport/test.txt 93917 0d034810261027b080d506399426d3eb4f26b4b90a121fe79ebaef246a82b1bd
        dataset/cloth_sport/train.txt 1097669 3e039ec9baff975cb47722c4704f7d2103c2bbf2a3c30ed2d264e17b69d4fd0a
        dataset/electronic_cloth/test.txt 181464 1a1a5ce75f986052afc05337ea5d1e5ac44c7017f06f1ecc5ccadb523aadf08d
        dataset/electronic_cloth/train.txt 2711201 fbccec759f2acfec35927c07a1a4bd911f75106de34d6b21e7d7a8a7ffc68e81
        dataset/electronic_phone/test.txt 31982 322a8e4c7b5d10e2a3d91dbb2d7833eaf2ba684f4c5109dc1ea4e6ee08119c46
        dataset/electronic_phone/train.txt 1424620 cb09610ab143478097937c235c4932fe39b5c664d434dd5abba3c5eb5d75f028
        dataset/phone_electronic/test.txt 31077 a3d0d2fb03c25994c3509af3acc6eeca5009b00751f9b12e28fdf52843a027c6
        dataset/phone_electronic/train.txt 609415 a439eb3fdf4d08e58da1d86e1f711cf0acf59f28944d347ad4b3fb9454df54f9
        dataset/phone_sport/test.txt 48067 1665b2846c5011ca870ff79bcfb3cc632aa3eeaa6ea9853ee45549ac0858b444
        dataset/phone_sport/train.txt 510647 d38cd0da5379bbec03a19cc3eb95a8b52caeeb179dfb515ba2d894b1e193572d
        dataset/sport_cloth/test.txt 103831 7b43d370047f23cbc6862188aba53b3a3241948255584a1f3f5c189118f16490
        dataset/sport_cloth/train.txt 1150235 45c517a6fc7721f168411b69eb3f6e6ef896bbe06f599f6f7b4a5844ff925629
        dataset/sport_phone/test.txt 45250 5ff3bc25da94612e7a35672edba277c4acc497cc8d87d268bca891e64dc98640
        dataset/sport_phone/train.txt 612708 c55f3f576465795163f45cdb6df9484626dfbb12799393a7d06e4401cfcb6f3a
    """,
}

CDRIB_SHARED_USERS = {("sport", "cloth"): 9828, ("game", "video"): 2179}
DISENCDR_PAIRS = (("sport", "phone"), ("sport", "cloth"), ("phone", "electronic"), ("electronic", "cloth"))


@dataclass(frozen=True)
class PinnedFile:
    repo: str
    commit: str
    path: str
    size: int
    sha256: str

    def url(self, base: str) -> str:
        return f"{base.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"


@dataclass(frozen=True)
class Benchmark:
    """A pair made of pinned files: `source` and `target` map a split (train/valid/test) to a
    file; `shared_users` C says ids 0..C-1 are the same people (None: every equal id is)."""
    name: str
    description: str
    source: dict
    target: dict
    shared_users: int | None

    def files(self) -> list[PinnedFile]:
        return [*self.source.values(), *self.target.values()]

    def size(self) -> int:
        return sum(f.size for f in self.files())


def _pinned_files() -> dict[tuple[str, str], PinnedFile]:
    """(repository, path) -> its pin."""
    found = {}
    for (repo, commit), rows in PINS.items():
        for row in rows.split("\n"):
            if row.strip():
                path, size, sha = row.split()
                found[repo, path] = PinnedFile(repo, commit, path, int(size), sha)
    return found


def _folder(files, repo: str, folder: str, splits) -> dict:
    return {split: files[repo, f"dataset/{folder}/{split}.txt"] for split in splits}


@lru_cache(maxsize=1)
def benchmarks() -> dict[str, Benchmark]:
    """Every fetchable pair by name (`cdrib-sport-cloth`, `disencdr-phone-sport`, ...)."""
    files, found = _pinned_files(), {}
    for (a, b), shared in CDRIB_SHARED_USERS.items():
        for x, y in ((a, b), (b, a)):
            found[f"cdrib-{x}-{y}"] = Benchmark(
                f"cdrib-{x}-{y}", f"CDRIB {x.title()}→{y.title()}: Amazon, {shared:,} shared users, "
                                  "given cold-start valid/test users (Cao et al., ICDE 2022)",
                _folder(files, "cjx96/CDRIB", f"{x}_{y}", ("train", "valid", "test")),
                _folder(files, "cjx96/CDRIB", f"{y}_{x}", ("train", "valid", "test")), shared)
    for a, b in DISENCDR_PAIRS:
        for x, y in ((a, b), (b, a)):
            found[f"disencdr-{x}-{y}"] = Benchmark(
                f"disencdr-{x}-{y}", f"DisenCDR {x.title()}→{y.title()}: Amazon, every user in both, "
                                     "leave-one-out test (Cao et al., SIGIR 2022)",
                _folder(files, "cjx96/DisenCDR", f"{x}_{y}", ("train", "test")),
                _folder(files, "cjx96/DisenCDR", f"{y}_{x}", ("train", "test")), None)
    return found


def benchmark(name: str) -> Benchmark:
    try:
        return benchmarks()[name]
    except KeyError:
        raise UnknownPairError(f"unknown benchmark {name!r}; have {', '.join(benchmarks())}") from None
