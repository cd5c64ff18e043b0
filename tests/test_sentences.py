from digest.sentences import derive_title, split_sentences


def test_glued_sentences_from_scraped_text_are_split() -> None:
    text = "Il a fui la violence domestique.Consternant, le récit continue. Fin."
    assert split_sentences(text) == [
        "Il a fui la violence domestique.",
        "Consternant, le récit continue.",
        "Fin.",
    ]


def test_abbreviations_decimals_and_initials_do_not_split() -> None:
    text = "M. Dupont a levé 3,5 M€ avec J. Martin, etc. pour GPT-5.1 en 2025. Puis il part."
    assert split_sentences(text) == [
        "M. Dupont a levé 3,5 M€ avec J. Martin, etc. pour GPT-5.1 en 2025.",
        "Puis il part.",
    ]


def test_questions_and_quotes_end_sentences() -> None:
    text = "Qui croire ? « Personne », dit-il. Vraiment !"
    assert split_sentences(text) == ["Qui croire ?", "« Personne », dit-il.", "Vraiment !"]


def test_derived_title_prefers_a_clause_and_stays_short() -> None:
    lede = (
        "Tencent publie HunyuanImage 3.0, le plus grand modèle de génération d'images "
        "en open-source avec 80 milliards de paramètres. Gratuit."
    )
    assert derive_title(lede) == "Tencent publie HunyuanImage 3.0"
    long_one = " ".join(["mot"] * 30) + "."
    assert derive_title(long_one).endswith("…") and len(derive_title(long_one).split()) == 12


def test_a_single_capital_before_a_sentence_opener_ends_the_sentence() -> None:
    text = "Elle attend la tâche A. Le chemin critique est long. Il a vu J. Dupont hier."
    assert split_sentences(text) == [
        "Elle attend la tâche A.",
        "Le chemin critique est long.",
        "Il a vu J. Dupont hier.",
    ]
