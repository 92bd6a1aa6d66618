"""The AI segment: which vacancies and resumes are AI and machine-learning work (docs/indicators.md, "ai").

A record is AI work when it has an AI role, or when its title or one of its key skills names AI work. hh.ru's
role catalogue has one AI role: 165 «Дата-сайентист» (data scientist), in category 11 (IT) since 2022. The
neighbouring roles are not AI work and are left out: 156 «BI-аналитик, аналитик данных» (reporting), 10, 148,
150, 164 (analysts of systems, business and product). The keywords catch the ML engineers, NLP and computer-vision
developers and LLM researchers that hh.ru files under «Программист, разработчик» (96) and other roles.

Keywords are matched regardless of case, in Russian and English; a short word (ML, AI, NLP, LLM, ИИ) only as
a whole word, so that «HTML» or «email» never count.
"""

from __future__ import annotations

from talentflow._sql import literal

#: hh.ru professional roles that are AI work.
AI_ROLES = ("165",)

#: (pattern, what it catches). Patterns are RE2, written in lower case and matched ignoring case; `{w}` marks a
#: whole-word match.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("machine learning", "machine learning"),
    ("машинн[а-я]* обучени", "машинное обучение and its forms"),
    ("deep learning", "deep learning"),
    ("глубок[а-я]* обучени", "глубокое обучение"),
    ("data scien", "data science, data scientist"),
    ("дата[- ]?сайент", "дата-сайентист"),
    ("{w}ml{w}", "ML as a word: «ML-инженер» counts, «HTML» does not"),
    ("mlops", "MLOps"),
    ("нейросет", "нейросеть, нейросети"),
    ("нейронн[а-я]* сет", "нейронные сети"),
    ("neural net", "neural network"),
    ("{w}llm{w}", "LLM"),
    ("large language model", "large language model"),
    ("{w}gpt", "GPT and its versions (GPT-4)"),
    ("chatgpt", "ChatGPT"),
    ("generative ai|genai", "generative AI"),
    ("генеративн", "генеративный ИИ"),
    ("computer vision", "computer vision"),
    ("компьютерн[а-я]* зрени", "компьютерное зрение"),
    ("{w}nlp{w}", "NLP"),
    ("natural language processing", "natural language processing"),
    ("обработк[а-я]* естественн[а-я]* язык", "обработка естественного языка"),
    ("{w}ai{w}", "AI as a word (AI-engineer counts, email does not)"),
    ("artificial intelligence", "artificial intelligence"),
    ("искусственн[а-я]* интеллект", "искусственный интеллект"),
    ("{w}ии{w}", "ИИ as a word"),
    ("pytorch|tensorflow|keras|scikit-learn|sklearn|hugging ?face", "ML libraries named as skills"),
    ("reinforcement learning", "reinforcement learning"),
    (
        "recommender system|recommendation (?:system|engine)|рекомендательн[а-я]* (?:систем|платформ|сервис|движ)",
        "recommender systems, platforms and engines (not «рекомендательное письмо», a reference letter)",
    ),
)

# A word boundary that knows Cyrillic (RE2's \b knows only ASCII letters).
_EDGE_BEFORE = "(?:^|[^a-zа-яё0-9])"
_EDGE_AFTER = "(?:$|[^a-zа-яё0-9])"


def pattern() -> str:
    """One RE2 pattern matching any keyword (to be matched ignoring case)."""
    parts = []
    for text, _ in KEYWORDS:
        if text.startswith("{w}"):
            text = _EDGE_BEFORE + text.removeprefix("{w}")
        if text.endswith("{w}"):
            text = text.removesuffix("{w}") + _EDGE_AFTER
        parts.append(f"(?:{text})")
    return "|".join(parts)


def ai_sql(title: str, roles: str, skills: str) -> str:
    """A DuckDB boolean: AI work by role, title or key skill; NULL when the record has none of the three.

    The pattern is matched case-insensitively (RE2 folds Cyrillic too): three times faster than lower-casing
    every title first, which cost ingest a tenth of its speed."""
    quoted = literal(pattern())
    by_role = " OR ".join(f"list_contains({roles}, '{r}')" for r in AI_ROLES)
    return f"""CASE
        WHEN {by_role} OR regexp_matches({title}, {quoted}, 'i')
             OR list_bool_or(list_transform({skills}, s -> regexp_matches(s, {quoted}, 'i'))) THEN true
        WHEN {roles} IS NOT NULL OR {title} IS NOT NULL OR {skills} IS NOT NULL THEN false
    END"""
