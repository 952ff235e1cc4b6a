"""Everything the bot says that is not knowledge content, in Vietnamese and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "vi": "Xin chào! Mình là rightsbot 👋 Mình trả lời câu hỏi về quyền con người, Hiến pháp và pháp luật "
              "Việt Nam (luôn kèm nguồn), cho bạn luyện tập trắc nghiệm và tham gia cuộc thi tìm hiểu.\n"
              "Cứ gõ câu hỏi, ví dụ: \"Quyền trẻ em là gì?\"",
        "en": "Hello! I'm rightsbot 👋 I answer questions on human rights, the Constitution and Vietnamese law "
              "(always with a source), and run practice quizzes and knowledge contests.\n"
              "Just type a question, for example: \"When is Human Rights Day?\"",
    },
    "help": {
        "vi": "Cách dùng rightsbot:\n"
              "• Gõ câu hỏi bằng tiếng Việt (có dấu hay không dấu đều được) hoặc tiếng Anh.\n"
              "• /chude — xem các chủ đề\n• /luyentap — luyện tập trắc nghiệm\n• /thi MÃ — tham gia cuộc thi\n"
              "• /ketqua — kết quả của tôi\n• /lang — đổi ngôn ngữ\n• /quyenriengtu — dữ liệu được lưu thế nào",
        "en": "How to use rightsbot:\n"
              "• Type a question in Vietnamese or English.\n"
              "• /topics — browse topics\n• /practice — practice quiz\n• /contest CODE — join a contest\n"
              "• /results — my results\n• /lang — change language\n• /privacy — how your data is kept",
    },
    "menu_ask": {"vi": "Hỏi đáp", "en": "Ask"},
    "menu_practice": {"vi": "Luyện tập", "en": "Practice"},
    "menu_contest": {"vi": "Thi", "en": "Contests"},
    "menu_topics": {"vi": "Chủ đề", "en": "Topics"},
    "menu_help": {"vi": "Hướng dẫn", "en": "Help"},
    "ask_prompt": {"vi": "Bạn cứ gõ câu hỏi nhé, ví dụ: \"Tuổi kết hôn là bao nhiêu?\"",
                   "en": "Type your question, for example: \"What is the child protection hotline?\""},
    "source": {"vi": "📖 Nguồn: {source}", "en": "📖 Source: {source}"},
    "review_note": {"vi": "⚠️ Nội dung này đang được quản trị viên rà soát lại.",
                    "en": "⚠️ This answer is being reviewed by an administrator."},
    "vi_only_note": {"vi": "", "en": "(This answer is only available in Vietnamese.)"},
    "did_you_mean": {"vi": "Mình chưa chắc bạn hỏi gì. Có phải bạn muốn hỏi:",
                     "en": "I'm not sure what you mean. Did you mean:"},
    "none_of_these": {"vi": "Không phải các câu này", "en": "None of these"},
    "no_answer": {
        "vi": "Xin lỗi, mình chưa có câu trả lời cho câu hỏi này. Câu hỏi đã được ghi lại để bổ sung. "
              "Bạn thử hỏi cách khác, hoặc chọn một chủ đề bên dưới.\n"
              "Cần giúp ngay: gọi 111 (bảo vệ trẻ em, miễn phí), 113 (công an), 115 (cấp cứu).",
        "en": "Sorry, I don't have an answer to that yet. I've noted the question so it can be added. "
              "Try asking another way, or pick a topic below.\n"
              "Urgent help: call 111 (child protection, free), 113 (police), 115 (ambulance).",
    },
    "after_none_of_these": {
        "vi": "Cảm ơn bạn! Mình đã ghi lại để bổ sung. Bạn thử hỏi cách khác hoặc chọn chủ đề:",
        "en": "Thanks! I've noted it. Try asking another way, or pick a topic:",
    },
    "topics_title": {"vi": "Chọn một chủ đề:", "en": "Pick a topic:"},
    "topic_title": {"vi": "Chủ đề \"{topic}\" — chọn một câu hỏi:", "en": "Topic \"{topic}\" — pick a question:"},
    "more": {"vi": "Xem thêm ▶", "en": "More ▶"},
    "related": {"vi": "Liên quan", "en": "Related"},
    "thanks_feedback": {"vi": "Cảm ơn bạn đã góp ý!", "en": "Thanks for your feedback!"},
    "feedback_already": {"vi": "Bạn đã góp ý cho câu trả lời này rồi.", "en": "You already rated this answer."},
    "lang_pick": {"vi": "Chọn ngôn ngữ:", "en": "Choose a language:"},
    "lang_set": {"vi": "Đã chuyển sang tiếng Việt.", "en": "Switched to English."},
    "empty": {"vi": "Bạn gõ câu hỏi bằng chữ nhé, ví dụ: \"Quyền con người là gì?\"",
              "en": "Please type your question in words, for example: \"What are human rights?\""},
    "stale": {"vi": "Nút này đã cũ hoặc không còn dùng được. Bạn gõ /help để xem hướng dẫn nhé.",
              "en": "That button is out of date. Type /help for a guide."},
    "unknown_command": {"vi": "Mình không biết lệnh này. Gõ /help để xem các lệnh.",
                        "en": "I don't know that command. Type /help for the list."},
    "busy": {"vi": "Hệ thống đang bận, bạn thử lại sau ít phút nhé. Dữ liệu của bạn không bị mất.",
             "en": "The system is busy, please try again in a minute. Nothing you sent was lost."},
    "storage_full": {"vi": "Hệ thống tạm thời không lưu được dữ liệu nên chưa nhận tin này. Ban quản trị đã được báo; "
                           "bạn thử lại sau ít phút nhé. Những gì bạn gửi trước đó vẫn còn nguyên.",
                     "en": "The system cannot save anything right now, so this message was not taken. The admins have "
                           "been alerted; please try again in a few minutes. Everything you sent before is safe."},
    "too_fast": {"vi": "Bạn gửi hơi nhanh, chờ vài giây rồi gửi tiếp nhé.",
                 "en": "You're sending messages too fast; wait a few seconds, please."},
}


def t(key: str, lang: str, **values: str) -> str:
    """The text for a key in a language (Vietnamese when English is missing)."""
    return pick(TEXTS, key, lang, values)


def pick(table: dict[str, dict[str, str]], key: str, lang: str, values: dict[str, str]) -> str:
    """`table[key]` in the language (Vietnamese when it is missing), with `values` filled in."""
    texts = table[key]
    text = texts.get(lang) or texts["vi"]
    return text.format(**values) if values else text
