from __future__ import annotations

import pickle

import jieba
import pytest

from gdtools.segment import Segmenter, SegmenterError, is_punct, parse_dictionary, parse_wordlist
from gdtools.spec import read_text

DOMAIN_TERMS = ["政府信息公开", "依申请公开", "政务公开", "政务新媒体", "过程性信息", "政策解读"]


@pytest.fixture(scope="module")
def seg():
    return Segmenter()


@pytest.fixture(scope="module")
def seg_jieba():
    return Segmenter(engine="jieba")


def test_shipped_dictionary_is_large_and_unique():
    entries = parse_dictionary(read_text("userdict.txt"))
    words = [w for w, _, _ in entries]
    assert len(words) >= 300
    assert len(words) == len(set(words))


def test_default_jieba_splits_domain_terms_and_segmenter_keeps_them(seg):
    plain = jieba.Tokenizer()
    text = "我局进一步规范依申请公开办理，做好政府信息公开和政务公开，加强政务新媒体管理和政策解读，依法处理过程性信息。"
    plain_tokens = plain.lcut(text)
    ours = seg.tokens(text)
    for term in DOMAIN_TERMS:
        assert term not in plain_tokens, term
        assert term in ours, term


def test_every_shipped_term_stays_whole(seg):
    for word, _, _ in parse_dictionary(read_text("userdict.txt")):
        assert seg.cut(word) == [word], word


def test_global_jieba_is_untouched(seg):
    seg.tokens("依申请公开")
    assert "依申请公开" not in jieba.lcut("依申请公开")


def test_cut_concatenates_to_text_and_tokens_drop_punctuation(seg):
    text = "一是加强培训；二是  完善制度。网址 www.example.gov.cn"
    assert "".join(seg.cut(text)) == text
    words = seg.tokens(text)
    assert "；" not in words and "。" not in words and " " not in words
    content = seg.tokens(text, content=True)
    assert "一是" not in content and "培训" in content


def test_is_punct_is_whitespace_punctuation_and_symbols_only():
    for token in ["", " ", "\u3000\n", "；", "……", "——", "《》", "%", "＋", "①", "²"]:
        assert is_punct(token) is (token == "" or not any(ch.isalnum() for ch in token)), token
    for token in ["公开", "a", "Ⅷ", "１２", "〇", "2020", "、一", "。是", "www.gov.cn", "-3"]:
        assert not is_punct(token), token


def test_ascii_runs_split_like_jieba_with_or_without_joiners(seg, seg_jieba):
    for text in ["网址www.example.gov.cn和2020-01-20", "网址wwwexamplegovcn和20200120", "编号A_1%与B#2", "甲&乙"]:
        assert seg.cut(text) == seg_jieba.cut(text)


def test_frame_offsets_point_into_text(seg):
    texts = ["加强政策解读，回应社会关切。", "依申请公开"]
    frame = seg.frame(texts, docs=["a", "b"])
    assert list(frame.columns) == ["doc", "i", "token", "start", "end", "stopword"]
    for row in frame.itertuples():
        text = texts[0] if row.doc == "a" else texts[1]
        assert text[row.start:row.end] == row.token
    assert frame.loc[frame.doc == "b", "token"].tolist() == ["依申请公开"]


def test_user_words_and_dictionary_file(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("# my terms\n科创小巨人 n\n", encoding="utf-8")
    seg = Segmenter([path], words=["揭榜挂帅"])
    assert "科创小巨人" in seg.tokens("培育科创小巨人企业")
    assert "揭榜挂帅" in seg.tokens("实行揭榜挂帅机制")
    assert "依申请公开" not in Segmenter(domain=False).tokens("依申请公开")


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(SegmenterError, match="engine"):
        Segmenter(engine="thulac")
    with pytest.raises(SegmenterError, match="cannot read"):
        Segmenter([tmp_path / "missing.txt"])
    bad = tmp_path / "bad.txt"
    bad.write_text("词 1 n extra\n", encoding="utf-8")
    with pytest.raises(SegmenterError, match="line 1"):
        Segmenter([bad])


def test_stopwords_custom_and_wordlist():
    assert parse_wordlist("# c\n的\n\n了\n") == {"的", "了"}
    seg = Segmenter(stopwords=["加强"])
    assert "加强" not in seg.tokens("加强培训", content=True)


def test_pickles_without_engine(seg):
    seg.tokens("政务公开")
    clone = pickle.loads(pickle.dumps(seg))
    assert clone._tokenizer is None
    assert clone.tokens("依申请公开") == ["依申请公开"]


@pytest.mark.realdata
def test_engines_agree_on_real_corpus(realdata, seg, seg_jieba):
    if seg.engine != "rjieba":
        pytest.skip("rjieba not installed: only the jieba engine runs")
    paths = sorted((realdata / "reports").glob("*")) + sorted((realdata / "extracted").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths if p.suffix != ".pdf"]
    assert texts
    for text in texts:
        assert seg.cut(text) == seg_jieba.cut(text)
