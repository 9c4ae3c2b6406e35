"""What the listener benchmark speaks: synthesis conditions and ordinary talk that is not a command.

The talk is everyday living-room speech; many sentences carry a command word inside them
("다음 달에", "숙제 다 했어?"), since that is what a grammar decoder most easily takes for a command.
"""

COMMAND_CONDITIONS = [  # (espeak voice suffix, words per minute, pitch, 10 dB noise)
    ("", 150, 50, False), ("", 190, 50, False), ("+f3", 160, 70, False), ("+m3", 160, 35, False),
    ("", 150, 50, True), ("", 190, 50, True), ("+f3", 160, 70, True), ("+m3", 160, 35, True),
]
TALK_CONDITIONS = [("", 160, 50), ("+f3", 150, 70), ("+m3", 180, 35), ("", 200, 50)]

KOREAN_TALK = [
    "오늘 날씨가 정말 좋네요.", "우리 집에 밥 먹으러 갈래요?", "내일 아침에 다시 이야기해요.",
    "그 사람은 생각이 깊어요.", "지금 몇 시예요?", "여기서 조금만 기다려 주세요.",
    "다음 주에 친구를 만나기로 했어요.", "어제는 하루 종일 계속 비가 왔어요.", "커피 한 잔 마실래요?",
    "아이들이 공원에서 놀고 있어요.", "이 책은 정말 재미있어요.", "주말에 뭐 할 거예요?",
    "버스가 늦게 와서 지각했어요.", "저녁은 김치찌개를 먹었어요.", "고양이가 소파 위에서 자고 있어요.",
    "창문 좀 열어 줄래요?", "회의는 세 시에 시작해요.", "시장에서 사과를 샀어요.",
    "엄마한테 전화해야 돼요.", "텔레비전 소리가 너무 커요.", "그 영화 봤어요?", "내일은 일찍 일어나야 해요.",
    "강아지 산책시킬 시간이에요.", "물 한 잔만 주세요.", "휴대폰 충전기 어디 있어요?",
    "오늘 저녁에 손님이 와요.", "빨래를 널어야 해요.", "이번 여름에 바다에 가고 싶어요.",
    "학교 끝나고 도서관에 갔어요.", "요즘 일이 너무 많아요.",
    "다음 달에 이사를 가요.", "계속 이렇게 더우면 어떡하죠?", "그만 좀 싸워라.", "시작이 반이라고 하잖아요.",
    "준비물은 다 챙겼어요?", "잠깐 화장실 다녀올게요.", "천천히 먹어, 체하겠다.", "빨리 와, 늦었어.",
    "소리 좀 줄여 줄래요?", "오늘 상태가 별로예요.", "이건 몇 개 남았어요?", "아까 그 팁 정말 유용했어요.",
    "점심은 뭐 먹을까요?", "이번 주말에 등산 갈래요?", "이 노래 정말 좋아요.", "방이 좀 추운 것 같아요.",
    "택배가 도착했어요.", "숙제 다 했어?", "동생이 방금 전화했어요.", "저녁에 산책하러 나갈까요?",
    "냉장고에 우유가 없어요.", "머리가 조금 아파요.", "오늘은 일찍 자야겠어요.", "이 문제는 너무 어려워요.",
    "회사에서 늦게 끝났어요.", "할머니 댁에 가기로 했어요.", "주차할 곳이 없네요.",
    "비가 올 것 같으니까 우산 챙겨.", "컴퓨터가 또 멈췄어요.", "뒤로 조금만 가 주세요.",
    "이전에 살던 집이 더 좋았어요.", "크게 걱정하지 마세요.", "작게 잘라서 주세요.", "출발 시간이 몇 시예요?",
    "반복해서 연습하면 잘 될 거예요.", "완료 버튼을 누르면 돼요.", "생략된 부분이 있어요.",
    "휴식 시간이 너무 짧아요.", "도움말을 읽어 봤어요?", "커튼 좀 쳐 줄래요?", "아침에 운동하는 게 좋아요.",
    "이 옷 어때요?", "배고파요, 뭐 좀 먹자.", "다음에 또 봐요.",
]
ENGLISH_TALK = [
    "The weather is lovely today.", "Shall we have dinner at my place?", "Let's talk again tomorrow.",
    "Next week I am visiting my sister.", "It kept raining all day yesterday.",
    "Could you pass me the remote control?", "The meeting starts at three o'clock.",
    "I will be right back.", "Did you see the game last night?", "Please turn the lights off.",
    "We need more milk.", "What time does the train leave?", "This song is stuck in my head.",
    "Can you hear me in the kitchen?", "Let's stop for lunch soon.",
]
GERMAN_TALK = ["Das Wetter ist heute schön.", "Wir sehen uns morgen.", "Kannst du mir bitte helfen?",
               "Der Zug kommt um drei Uhr.", "Ich habe keine Zeit."]
TALK = {"ko": KOREAN_TALK, "en": ENGLISH_TALK}
OTHER_LANGUAGE = {"ko": ("en", ENGLISH_TALK), "en": ("de", GERMAN_TALK)}
