"""Writes app/accounts/common_passwords.txt: the passwords attackers try first, built from well-known
patterns (leaked-list favourites, keyboard walks, Chinese pinyin names and numbers, words
with the usual capital, year and symbol decorations). Lower case, one a line; the check is
case-insensitive. Run again after changing the patterns; nothing is downloaded."""
from __future__ import annotations

from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "app" / "accounts" / "common_passwords.txt"

WORDS = """password passw0rd p@ssword p@ssw0rd qwerty qwertyuiop asdfgh asdfghjkl zxcvbn zxcvbnm
admin administrator root test guest user login welcome letmein iloveyou woaini love hello
abc abcd abcdef dragon monkey master shadow sunshine princess football baseball superman
michael jordan china beijing shanghai guangzhou shenzhen guangdong zhangsan lisi wangwu
zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu lin guo he gao luo
qq taobao baidu alibaba tencent system manager secret changeme default computer internet
woaini1314 aini wocao nihao xiaoming laopo laogong baobao tiantian jianshe gongcheng
zhuce jianzao jianzhu zaojia jiegou""".split()
SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "!", "1!", "123!", "@123",
            "#123", "@1234", "_123", ".123", "520", "1314", "521", "666", "888", "8888",
            "000", "111", "2008", "2018", "2019", "2020", "2021", "2022", "2023", "2024",
            "2025", "2026", "@2024", "@2025", "@2026"]
WALKS = ["1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "qazwsx", "qazwsxedc", "1qazxsw2", "zaq12wsx",
         "!qaz2wsx", "1qaz@wsx", "1qaz!qaz", "q1w2e3r4", "a1s2d3f4", "qweasdzxc", "asdqwe123",
         "qwe123", "asd123", "zxc123", "qwer1234", "asdf1234", "zxcv1234", "1234qwer",
         "1234asdf", "aa123456", "a123456", "a1234567", "a12345678", "abc123456", "abc@123",
         "abcd@1234", "qq123456", "qq5201314", "woaini520", "5201314", "1314520"]
LEET = str.maketrans({"a": "@", "o": "0", "i": "1", "e": "3", "s": "$"})


def candidates() -> set[str]:
    found = set(WALKS)
    for digit in "0123456789":
        for length in range(6, 13):
            found.add(digit * length)
    for start in range(10):
        run = "".join(str((start + k) % 10) for k in range(12))
        for length in range(6, 13):
            found.add(run[:length])
            found.add(run[:length][::-1])
    for word in WORDS:
        for form in {word, word.translate(LEET)}:
            for suffix in SUFFIXES:
                found.add(form + suffix)
                found.add(suffix + form)
    return {p.lower() for p in found if len(p) >= 6}


if __name__ == "__main__":
    TARGET.write_text("\n".join(sorted(candidates())) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(candidates())} passwords")
