//! Demo content for a new site: an invented newsroom (the *Port Alder Ledger*, in a fictional harbour town), its
//! reporters and desks, and stories with generated photographs. Everything here is made up.

use std::io::Cursor;

use anyhow::Context;
use image::{ImageFormat, Rgb, RgbImage};
use newsdesk_domain::{AuthorKind, PostStatus, Role, SiteSettings, Slug};
use newsdesk_services::Actor;
use newsdesk_services::posts::{self as content, Action, PostDraft};
use newsdesk_store::Store;
use newsdesk_store::authors::AuthorInput;

pub const SITE_TITLE: &str = "The Port Alder Ledger";
pub const TIMEZONE: &str = "Europe/London";

struct Story {
    title: &'static str,
    excerpt: &'static str,
    authors: &'static [&'static str],
    tags: &'static [&'static str],
    hours_ago: i64,
    /// Sky top, sky bottom, sea colours of the generated photo.
    palette: [[u8; 3]; 3],
    alt: &'static str,
    caption: &'static str,
    credit: &'static str,
    body: &'static str,
}

const PEOPLE: &[(&str, &str)] = &[
    ("Maren Okafor", "Maren covers the port, the council and the money between them. Tips: maren@ledger.example."),
    ("Tomasz Reyes", "Tomasz reports on transport, housing and everything that keeps Port Alder moving."),
    ("Priya Lindqvist", "Priya writes about the coast, the climate and the people working on both."),
];
const DESKS: &[(&str, &str)] = &[
    ("Ledger news desk", "Breaking news and daily reporting from the Ledger's newsroom."),
    ("Ledger investigations desk", "Long-form, documents-first accountability reporting."),
];

const STORIES: &[Story] = &[
    Story {
        title: "Dredging contract went to a firm with ties to two port board members, records show",
        excerpt: "Board minutes and company filings obtained by the Ledger show the £4.2m contract was awarded without the competitive tender the port's own rules require.",
        authors: &["Maren Okafor", "Ledger investigations desk"],
        tags: &["Investigation", "Port"],
        hours_ago: 5,
        palette: [[36, 59, 85], [210, 140, 90], [28, 64, 84]],
        alt: "A dredging barge and crane at the mouth of the harbour at dawn",
        caption: "The dredger Brackwater working the harbour mouth last month.",
        credit: "Photo: Tidewater Wire",
        body: "The Port of Port Alder awarded a £4.2 million dredging contract to a company whose directors include relatives of two sitting board members, according to board minutes and company filings obtained by the Ledger.\n\nThe port's procurement rules require any contract above £500,000 to go to open tender. The minutes of the board's meeting in March record the contract as an \"urgent extension\" of a smaller maintenance agreement, a route that avoids the tender.\n\n## What the records show\n\n- The original maintenance agreement, signed in 2024, was worth £310,000.\n- In March, the board approved an extension worth thirteen times that amount.\n- Two of the five board members who voted for it did not declare an interest.\n\n> \"Urgent means a ship is stuck,\" said a former harbour master, who asked not to be named because he still works in the industry. \"Nothing was stuck.\"\n\nThe port said in a statement that the extension was \"lawful, minuted and in the interest of keeping the channel open for the autumn season\". It did not answer questions about the undeclared interests.\n\nThe two board members did not respond to requests for comment sent on Monday and again on Wednesday.\n\n## What happens next\n\nThe council's audit committee meets on Thursday. Its chair told the Ledger the committee would \"ask the port to explain itself in public\".\n\n*This story will be updated.*",
    },
    Story {
        title: "Council approves six-month night-bus trial after riders' petition",
        excerpt: "Two routes will run until 2 a.m. from January, after 3,100 residents signed a petition led by hospital night-shift workers.",
        authors: &["Tomasz Reyes", "Ledger news desk"],
        tags: &["City Hall", "Transport"],
        hours_ago: 9,
        palette: [[20, 24, 48], [70, 60, 110], [30, 30, 50]],
        alt: "A lit double-decker bus waiting at an empty stop on the harbour road at night",
        caption: "A late bus on the harbour road. The trial adds departures until 2 a.m.",
        credit: "Photo: Ledger staff",
        body: "Port Alder's council voted 9–2 on Tuesday night to run a six-month trial of two night-bus routes, after a petition started by night-shift workers at St Brennan's Hospital gathered 3,100 signatures.\n\nFrom 6 January, the 4 and the 11 will run every 40 minutes until 2 a.m., linking the hospital, the station and the estates on the east side of the estuary.\n\n\"Half my ward walks home in the dark or pays for a taxi,\" said Ada Mensah, a nurse who started the petition. \"Tonight the council listened.\"\n\nThe trial will cost £186,000, paid from the transport reserve. Officers will report on ridership in May; the council will decide then whether to keep the routes.",
    },
    Story {
        title: "Storm barrier faces two-year delay as costs rise by a third",
        excerpt: "The estuary barrier meant to protect 1,400 homes will not be finished before 2029, the environment agency says.",
        authors: &["Priya Lindqvist"],
        tags: &["Climate", "Port"],
        hours_ago: 28,
        palette: [[120, 130, 140], [190, 195, 200], [70, 90, 100]],
        alt: "Grey waves breaking over the old sea wall below a row of terraced houses",
        caption: "Waves over the old sea wall at Saltings Row during February's storm.",
        credit: "Photo: Tidewater Wire",
        body: "The tidal barrier planned for the Alder estuary will be finished two years later than promised, and will cost about a third more, the regional environment agency told councillors on Monday.\n\nThe agency blamed steel prices and a redesign of the barrier's southern gate after ground surveys found softer clay than expected. The new estimate is £61 million, up from £46 million.\n\nAbout 1,400 homes in Saltings Row and the lower town sit behind a sea wall built in 1958. Residents there were flooded twice in the past five winters.\n\n\"We were told 2027. We planned our lives around 2027,\" said Joan Petrakis, who chairs the Saltings Row residents' association. \"Two more winters is two more chances for the water to come in.\"\n\nThe agency said temporary flood defences would be put in place each autumn until the barrier opens.",
    },
    Story {
        title: "Fish market reopens with rebuilt cold store",
        excerpt: "Traders are back under the old roof after eight months in tents on the quay.",
        authors: &["Ledger news desk"],
        tags: &["News", "Port"],
        hours_ago: 31,
        palette: [[150, 190, 220], [230, 230, 210], [40, 90, 120]],
        alt: "Fish traders setting out crates of ice and fish inside a high-roofed market hall",
        caption: "Traders set out the first morning's catch in the reopened hall.",
        credit: "Photo: Ledger staff",
        body: "Port Alder's fish market reopened on Saturday after an eight-month rebuild of its cold store, which failed during last winter's power cuts.\n\nThe twelve traders who worked from tents on the quay since March moved back into the Victorian hall at 5 a.m. The new cold store runs on its own generator when the grid fails.\n\nThe market is open Tuesday to Saturday from 5 a.m. to 1 p.m.",
    },
    Story {
        title: "Library will lend tools, sewing machines and telescopes from next month",
        excerpt: "A 'library of things' on the ground floor of the central library starts with 140 items, most of them donated.",
        authors: &["Tomasz Reyes"],
        tags: &["Culture", "City Hall"],
        hours_ago: 52,
        palette: [[240, 200, 150], [250, 235, 210], [150, 110, 80]],
        alt: "Shelves of drills, sewing machines and a telescope with paper lending labels",
        caption: "Some of the first 140 items, labelled and ready to lend.",
        credit: "Photo: Ledger staff",
        body: "From 1 December, anyone with a Port Alder library card will be able to borrow a drill, a sewing machine, a carpet cleaner or a telescope for up to a week, free of charge.\n\nThe \"library of things\" starts with 140 items, most of them donated by residents after an appeal in the summer. Volunteers from the Repair Café will check each item when it comes back.\n\n\"Most people use a drill for thirteen minutes in its whole life,\" said librarian Noor Haddad. \"It should live here, not in everyone's cupboard.\"",
    },
    Story {
        title: "How we investigated the port's dredging contract",
        excerpt: "Four months, two freedom-of-information appeals and one very long spreadsheet: the method behind today's story.",
        authors: &["Ledger investigations desk"],
        tags: &["Investigation"],
        hours_ago: 4,
        palette: [[60, 60, 70], [160, 150, 140], [50, 50, 60]],
        alt: "A desk covered in printed board minutes with handwritten notes in the margins",
        caption: "Board minutes from 2019 to 2026, annotated by the Ledger's reporters.",
        credit: "Photo: Ledger staff",
        body: "Our story about the port's dredging contract began with a single line in a budget document: a maintenance agreement that had grown thirteen-fold in a year.\n\nWe requested every set of board minutes since 2019. The port refused twice; we appealed, and the minutes arrived in September. We then matched the names of every company the port paid more than £100,000 against the register of companies, and the names of those companies' directors against the board's declarations of interest.\n\nEvery document we relied on is listed below our main story. If you work at the port and know more, you can reach the investigations desk in confidence.",
    },
];

const AI_POLICY: &str = "Some of our articles have an audio edition, read by a synthetic voice. We label every one: *This audio is created with AI assistance.*\n\n## What the software does\n\nIt reads the headline, the summary and the text of a published article aloud. It does not write, choose or change anything we publish; the words are our reporters' and editors'.\n\n## What people do\n\nEditors can turn narration off for any article — for instance when names are hard to pronounce or a subject needs a human voice — and we re-record when a story changes. If you hear a mistake, write to us and we will fix it.\n\n*This site is demo content for Newsdesk.*";

/// The morning's News Feed: (minutes ago, headline, summary, story it points to, tag slug, author slug, a
/// retraction note when the item was withdrawn).
type FeedLine = (
    i64,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);
const FEED: &[FeedLine] = &[
    (
        25,
        "Audit committee will question the port in public on Thursday",
        "The committee's chair confirmed the session after our dredging story; the port's chief executive has been invited.",
        Some("Dredging contract went to a firm with ties to two port board members, records show"),
        Some("investigation"),
        Some("maren-okafor"),
        None,
    ),
    (
        70,
        "Harbour Road open again after overnight resurfacing",
        "Both lanes reopened at 6.40 a.m., twenty minutes ahead of schedule. Buses are back on their usual route.",
        None,
        Some("transport"),
        Some("tomasz-reyes"),
        None,
    ),
    (
        130,
        "Flood warning for the lower estuary lifted",
        "The Environment Agency lifted the warning at 8 a.m. as the morning tide peaked 30 cm below the forecast.",
        None,
        Some("climate"),
        Some("priya-lindqvist"),
        None,
    ),
    (
        200,
        "Night-bus trial: first timetable published",
        "Route N1 will leave the hospital every 30 minutes from midnight; route N2 serves the harbour estates.",
        Some("Council approves six-month night-bus trial after riders' petition"),
        Some("transport"),
        None,
        None,
    ),
    (
        290,
        "Friday's ferry sailings cancelled",
        "The operator said high winds would stop the morning crossings.",
        None,
        Some("port"),
        Some("ledger-news-desk"),
        Some("The operator withdrew its notice an hour later; ferries run to the normal timetable."),
    ),
];

/// Stories editors pick for the sidebar, in order.
const PICKS: &[&str] = &[
    "How we investigated the port's dredging contract",
    "Council approves six-month night-bus trial after riders' petition",
];

/// A timestamped News Feed (one item withdrawn, with its note) and Editors' Picks, as a newsroom's morning has them.
async fn news_feed_and_picks(store: &Store, now: i64) -> anyhow::Result<()> {
    let story = |title: &'static str| async move {
        let slug = Slug::from_text(title).context("demo story slug")?;
        let post = store.post_by_slug(slug.as_str()).await?;
        post.map(|p| p.row.id).with_context(|| format!("demo story {title} is missing"))
    };
    for (minutes, headline, summary, post, tag, author, retracted) in FEED {
        let post_id = match post {
            Some(title) => Some(story(title).await?),
            None => None,
        };
        let tag_id = match tag {
            Some(slug) => store.tag_by_slug(slug).await?.map(|t| t.id),
            None => None,
        };
        let author_id = match author {
            Some(slug) => store.author_by_slug(slug).await?.map(|a| a.id),
            None => None,
        };
        let input = newsdesk_store::feed::FeedItemInput { headline, summary, url: None, post_id, tag_id, author_id };
        let id = store.create_feed_item_at(&input, None, now - minutes * 60).await?;
        if let Some(note) = retracted {
            store.retract_feed_item(id, note).await?;
        }
    }
    for title in PICKS {
        store.add_pick(story(title).await?, None).await?;
    }
    Ok(())
}

const NEWSLETTERS: &[(&str, &str, &str, &str)] = &[
    ("morning-ledger", "The Morning Ledger", "weekdays", "The five stories Port Alder is talking about, before 7 a.m."),
    (
        "explaining-the-estuary",
        "Explaining the estuary with Priya Lindqvist",
        "weekly",
        "Tides, storms, barriers and the people living with them, explained every Friday.",
    ),
    (
        "investigations",
        "Ledger Investigations",
        "when we publish",
        "Our accountability reporting, the day it comes out.",
    ),
];

const ABOUT: &str = "The Port Alder Ledger is an independent, reader-funded newsroom covering Port Alder and the Alder estuary.\n\nWe publish corrections in the open, we do not take money from the institutions we cover, and we answer every reader who writes to us.\n\n*This site is demo content for Newsdesk. The newsroom, the town and everyone in these stories are invented.*";

/// A generated "photograph": sky gradient, a sun, the sea with bands of swell, and a dark pier.
fn photo(palette: [[u8; 3]; 3], seed: u32) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (1600u32, 900u32);
    let horizon = h * 58 / 100;
    let mix = |a: [u8; 3], b: [u8; 3], t: f32| -> Rgb<u8> {
        Rgb([0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8))
    };
    let sun = (w * (30 + seed * 13 % 45) / 100, horizon - h / 7);
    let img = RgbImage::from_fn(w, h, |x, y| {
        if y < horizon {
            let t = y as f32 / horizon as f32;
            let dx = x as f32 - sun.0 as f32;
            let dy = y as f32 - sun.1 as f32;
            if dx * dx + dy * dy < 70.0 * 70.0 {
                return Rgb([250, 236, 200]);
            }
            mix(palette[0], palette[1], t)
        } else {
            let t = (y - horizon) as f32 / (h - horizon) as f32;
            let swell = ((x as f32 / 37.0 + y as f32 / 5.0 + seed as f32).sin() * 0.5 + 0.5) * 0.12;
            let pier = x > w * 62 / 100 && x < w * 64 / 100 && y < horizon + 120
                || y > horizon + 100 && y < horizon + 118 && x > w * 55 / 100;
            if pier {
                return Rgb([25, 22, 20]);
            }
            mix(palette[2], [10, 20, 30], (t * 0.6 + swell).min(1.0))
        }
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).context("encoding demo photo")?;
    Ok(out.into_inner())
}

pub async fn create(
    store: &Store,
    site: &SiteSettings,
    media: &newsdesk_services::storage::MediaStore,
) -> anyhow::Result<()> {
    for (i, (slug, name, cadence, description)) in NEWSLETTERS.iter().enumerate() {
        store
            .create_newsletter(&newsdesk_store::newsletters::NewsletterInput {
                slug,
                name,
                description: Some(description),
                cadence: Some(cadence),
                visibility: "public",
                sort_order: i as i64,
                ..Default::default()
            })
            .await?;
    }
    let people = PEOPLE.iter().map(|(n, b)| (*n, *b, AuthorKind::Person));
    let desks = DESKS.iter().map(|(n, b)| (*n, *b, AuthorKind::Desk));
    for (name, bio, kind) in people.chain(desks) {
        let slug = Slug::from_text(name).context("demo author slug")?;
        store
            .create_author(AuthorInput {
                slug: slug.as_str(),
                name,
                kind: kind.as_str(),
                bio: Some(bio),
                image_id: None,
            })
            .await?;
    }
    let actor = Actor { user_id: None, role: Role::Owner, author_id: None };
    let now = jiff::Timestamp::now().as_second();
    for (i, s) in STORIES.iter().enumerate() {
        let bytes = photo(s.palette, i as u32)?;
        let media = match newsdesk_services::media::store_image(store, media, "demo.png", bytes, "feature_image").await
        {
            Ok(m) => m,
            Err(newsdesk_services::media::UploadError::Invalid(e)) => {
                anyhow::bail!("demo image: {}", e.message)
            }
            Err(newsdesk_services::media::UploadError::Internal(e)) => return Err(e),
        };
        let published = jiff::Timestamp::from_second(now - s.hours_ago * 3600)?.to_string();
        let draft = PostDraft {
            title: s.title.into(),
            excerpt: Some(s.excerpt.into()),
            body: s.body.into(),
            authors: s.authors.iter().map(|a| a.to_string()).collect(),
            tags: s.tags.iter().map(|t| t.to_string()).collect(),
            publish_at: Some(published),
            feature_image_id: Some(media.id),
            feature_image_alt: Some(s.alt.into()),
            feature_image_caption: Some(s.caption.into()),
            feature_image_credit: Some(s.credit.into()),
            ..Default::default()
        };
        content::save_post(store, site, &actor, None, draft, Action::Status(PostStatus::Published))
            .await
            .map_err(|e| anyhow::anyhow!("demo story {}: {e:?}", s.title))?;
    }
    news_feed_and_picks(store, now).await?;
    let about = PostDraft {
        kind: Some("page".into()),
        title: "About the Ledger".into(),
        slug: Some("about".into()),
        body: ABOUT.into(),
        authors: vec!["Ledger news desk".into()],
        ..Default::default()
    };
    content::save_post(store, site, &actor, None, about, Action::Status(PostStatus::Published))
        .await
        .map_err(|e| anyhow::anyhow!("demo about page: {e:?}"))?;
    let policy = PostDraft {
        kind: Some("page".into()),
        title: "How we use AI".into(),
        slug: Some("ai-policy".into()),
        body: AI_POLICY.into(),
        authors: vec!["Ledger news desk".into()],
        ..Default::default()
    };
    content::save_post(store, site, &actor, None, policy, Action::Status(PostStatus::Published))
        .await
        .map_err(|e| anyhow::anyhow!("demo AI policy page: {e:?}"))?;
    Ok(())
}
